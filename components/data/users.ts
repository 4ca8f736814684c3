"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "../fetch-json";

/** What /api/ui/users answers for each account. */
export interface UserRow {
  id: number;
  username: string;
  role: "admin" | "user";
  disabled: boolean;
  totpEnabled: boolean;
  createdAt: string;
  canListAgents: boolean;
  canSendCmd: boolean;
  canManageWinupdates: boolean;
  canListClients: boolean;
  canManageClients: boolean;
  canListSites: boolean;
  canManageSites: boolean;
  /** Monitors and alert rules over the machines the user may list. */
  canManageMonitoring: boolean;
  /** Comma-separated client / site names the user is limited to ("" = all). */
  allowedClients: string;
  allowedSites: string;
  /** Instances assigned to the user (MCSManager's model). */
  instances: { uuid: string; name: string; daemonId: string; serverId: number; serverName: string }[];
}

export const usersKey = ["users"] as const;

export function useUsers() {
  return useQuery({ queryKey: usersKey, queryFn: () => fetchJson<UserRow[]>("/api/ui/users") });
}
