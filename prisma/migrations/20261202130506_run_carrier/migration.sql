-- AlterTable
ALTER TABLE "QueuedJob" ADD COLUMN "carrier" TEXT;

-- AlterTable
ALTER TABLE "CommandRun" ADD COLUMN "carrier" TEXT;
