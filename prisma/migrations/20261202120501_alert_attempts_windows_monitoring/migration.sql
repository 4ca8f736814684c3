-- CreateTable
CREATE TABLE "MaintenanceWindow" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "serverId" INTEGER,
    "clientId" INTEGER,
    "siteId" INTEGER,
    "kind" TEXT NOT NULL,
    "startsAt" DATETIME,
    "endsAt" DATETIME,
    "days" TEXT NOT NULL DEFAULT '',
    "startTime" TEXT NOT NULL DEFAULT '',
    "endTime" TEXT NOT NULL DEFAULT '',
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "note" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "MaintenanceWindow_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "MaintenanceWindow_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "Client" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "MaintenanceWindow_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "NotificationAttempt" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "notificationId" INTEGER NOT NULL,
    "channelId" INTEGER NOT NULL,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "result" TEXT NOT NULL,
    "error" TEXT NOT NULL DEFAULT '',
    "httpStatus" INTEGER,
    "durationMs" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "NotificationAttempt_notificationId_fkey" FOREIGN KEY ("notificationId") REFERENCES "Notification" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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
    "totpLastStep" INTEGER NOT NULL DEFAULT 0,
    "canListAgents" BOOLEAN NOT NULL DEFAULT false,
    "canSendCmd" BOOLEAN NOT NULL DEFAULT false,
    "canManageWinupdates" BOOLEAN NOT NULL DEFAULT false,
    "canListClients" BOOLEAN NOT NULL DEFAULT false,
    "canManageClients" BOOLEAN NOT NULL DEFAULT false,
    "canListSites" BOOLEAN NOT NULL DEFAULT false,
    "canManageSites" BOOLEAN NOT NULL DEFAULT false,
    "canManageMonitoring" BOOLEAN NOT NULL DEFAULT false,
    "allowedClients" TEXT NOT NULL DEFAULT '',
    "allowedSites" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_User" ("allowedClients", "allowedSites", "canListAgents", "canListClients", "canListSites", "canManageClients", "canManageSites", "canManageWinupdates", "canSendCmd", "createdAt", "disabled", "id", "passwordHash", "role", "sessionVersion", "totpEnabled", "totpLastStep", "totpSecret", "updatedAt", "username") SELECT "allowedClients", "allowedSites", "canListAgents", "canListClients", "canListSites", "canManageClients", "canManageSites", "canManageWinupdates", "canSendCmd", "createdAt", "disabled", "id", "passwordHash", "role", "sessionVersion", "totpEnabled", "totpLastStep", "totpSecret", "updatedAt", "username" FROM "User";
DROP TABLE "User";
ALTER TABLE "new_User" RENAME TO "User";
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "MaintenanceWindow_serverId_idx" ON "MaintenanceWindow"("serverId");

-- CreateIndex
CREATE INDEX "MaintenanceWindow_clientId_idx" ON "MaintenanceWindow"("clientId");

-- CreateIndex
CREATE INDEX "MaintenanceWindow_siteId_idx" ON "MaintenanceWindow"("siteId");

-- CreateIndex
CREATE INDEX "NotificationAttempt_notificationId_idx" ON "NotificationAttempt"("notificationId");

-- CreateIndex
CREATE INDEX "NotificationAttempt_at_idx" ON "NotificationAttempt"("at");

-- CreateIndex
CREATE INDEX "Notification_eventId_idx" ON "Notification"("eventId");
