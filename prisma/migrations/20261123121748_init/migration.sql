-- CreateTable
CREATE TABLE "User" (
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
    "allowedClients" TEXT NOT NULL DEFAULT '',
    "allowedSites" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "kind" TEXT NOT NULL DEFAULT 'token',
    "userId" INTEGER NOT NULL,
    "createdById" INTEGER,
    "expiresAt" DATETIME,
    "lastUsedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "action" TEXT NOT NULL,
    "actorId" INTEGER,
    "actorName" TEXT NOT NULL DEFAULT '',
    "target" TEXT NOT NULL DEFAULT '',
    "detail" TEXT NOT NULL DEFAULT '',
    "ip" TEXT NOT NULL DEFAULT ''
);

-- CreateTable
CREATE TABLE "Server" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "tag" TEXT NOT NULL DEFAULT '',
    "note" TEXT NOT NULL DEFAULT '',
    "hideForGuest" BOOLEAN NOT NULL DEFAULT false,
    "displayIndex" INTEGER NOT NULL DEFAULT 0,
    "secretHash" TEXT NOT NULL,
    "agentId" TEXT NOT NULL,
    "isLocal" BOOLEAN NOT NULL DEFAULT false,
    "client" TEXT NOT NULL DEFAULT 'Default',
    "site" TEXT NOT NULL DEFAULT 'Default',
    "monitoringType" TEXT NOT NULL DEFAULT 'server',
    "description" TEXT NOT NULL DEFAULT '',
    "remarks" TEXT NOT NULL DEFAULT '',
    "hostJson" TEXT,
    "lastActive" DATETIME,
    "lastIp" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "ServerMetric" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "serverId" INTEGER NOT NULL,
    "at" DATETIME NOT NULL,
    "resolution" INTEGER NOT NULL DEFAULT 0,
    "cpu" REAL NOT NULL,
    "memUsed" REAL NOT NULL,
    "swapUsed" REAL NOT NULL,
    "diskUsed" REAL NOT NULL,
    "netInSpeed" REAL NOT NULL,
    "netOutSpeed" REAL NOT NULL,
    "load1" REAL NOT NULL,
    "tcpConnCount" REAL NOT NULL DEFAULT 0,
    "processCount" REAL NOT NULL DEFAULT 0,
    CONSTRAINT "ServerMetric_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Instance" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "uuid" TEXT NOT NULL,
    "serverId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "startCommand" TEXT NOT NULL,
    "cwd" TEXT NOT NULL DEFAULT '',
    "stopCommand" TEXT NOT NULL DEFAULT '',
    "autoRestart" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Instance_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "CommandRun" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "serverId" INTEGER NOT NULL,
    "userId" INTEGER,
    "username" TEXT NOT NULL DEFAULT '',
    "shell" TEXT NOT NULL,
    "command" TEXT NOT NULL,
    "timeout" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "exitCode" INTEGER,
    "output" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    CONSTRAINT "CommandRun_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "CommandRun_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "PendingUpdate" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "serverId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "currentVersion" TEXT NOT NULL DEFAULT '',
    "newVersion" TEXT NOT NULL DEFAULT '',
    "source" TEXT NOT NULL DEFAULT '',
    "manager" TEXT NOT NULL DEFAULT '',
    "scannedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PendingUpdate_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_hash_key" ON "ApiToken"("hash");

-- CreateIndex
CREATE INDEX "ApiToken_userId_idx" ON "ApiToken"("userId");

-- CreateIndex
CREATE INDEX "AuditLog_at_idx" ON "AuditLog"("at");

-- CreateIndex
CREATE UNIQUE INDEX "Server_secretHash_key" ON "Server"("secretHash");

-- CreateIndex
CREATE UNIQUE INDEX "Server_agentId_key" ON "Server"("agentId");

-- CreateIndex
CREATE INDEX "ServerMetric_serverId_resolution_at_idx" ON "ServerMetric"("serverId", "resolution", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Instance_uuid_key" ON "Instance"("uuid");

-- CreateIndex
CREATE INDEX "CommandRun_serverId_createdAt_idx" ON "CommandRun"("serverId", "createdAt");

-- CreateIndex
CREATE INDEX "PendingUpdate_serverId_idx" ON "PendingUpdate"("serverId");
