-- AlterTable
ALTER TABLE "User" ADD COLUMN     "canListClients" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "canListSites" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "canManageClients" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "canManageSites" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "InstanceAssignment" (
    "userId" INTEGER NOT NULL,
    "instanceId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InstanceAssignment_pkey" PRIMARY KEY ("userId","instanceId")
);

-- CreateIndex
CREATE INDEX "InstanceAssignment_instanceId_idx" ON "InstanceAssignment"("instanceId");

-- AddForeignKey
ALTER TABLE "InstanceAssignment" ADD CONSTRAINT "InstanceAssignment_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "InstanceAssignment" ADD CONSTRAINT "InstanceAssignment_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;
