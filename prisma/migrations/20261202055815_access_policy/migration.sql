-- CreateTable
CREATE TABLE "InstanceAssignment" (
    "userId" INTEGER NOT NULL,
    "instanceId" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("userId", "instanceId"),
    CONSTRAINT "InstanceAssignment_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "InstanceAssignment_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_User" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "username" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'user',
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "sessionVersion" INTEGER NOT NULL DEFAULT 0,
    "totpSecret" TEXT,
    "totpEnabled" BOOLEAN NOT NULL DEFAULT false,
    "canListAgents" BOOLEAN NOT NULL DEFAULT false,
    "canSendCmd" BOOLEAN NOT NULL DEFAULT false,
    "canManageWinupdates" BOOLEAN NOT NULL DEFAULT false,
    "canListClients" BOOLEAN NOT NULL DEFAULT false,
    "canManageClients" BOOLEAN NOT NULL DEFAULT false,
    "canListSites" BOOLEAN NOT NULL DEFAULT false,
    "canManageSites" BOOLEAN NOT NULL DEFAULT false,
    "allowedClients" TEXT NOT NULL DEFAULT '',
    "allowedSites" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_User" ("allowedClients", "allowedSites", "canListAgents", "canManageWinupdates", "canSendCmd", "createdAt", "disabled", "id", "passwordHash", "role", "sessionVersion", "totpEnabled", "totpSecret", "updatedAt", "username") SELECT "allowedClients", "allowedSites", "canListAgents", "canManageWinupdates", "canSendCmd", "createdAt", "disabled", "id", "passwordHash", "role", "sessionVersion", "totpEnabled", "totpSecret", "updatedAt", "username" FROM "User";
DROP TABLE "User";
ALTER TABLE "new_User" RENAME TO "User";
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "InstanceAssignment_instanceId_idx" ON "InstanceAssignment"("instanceId");
