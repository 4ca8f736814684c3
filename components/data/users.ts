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
}

export const usersKey = ["users"] as const;

export function useUsers() {
  return useQuery({ queryKey: usersKey, queryFn: () => fetchJson<UserRow[]>("/api/ui/users") });
}
