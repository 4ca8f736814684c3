import type { z } from "zod";
import type { trmmAgentDetail, trmmHistoryItem, trmmWinUpdate } from "@/lib/dialects/trmm/shapes";
import type { ScanStatus } from "@/lib/fleet/updates";

// The UI API answers in the Tactical RMM shapes (lib/dialects/trmm/shapes.ts): one definition for both.
export type Agent = z.infer<typeof trmmAgentDetail>;
export type HistoryItem = z.infer<typeof trmmHistoryItem>;
export type PendingUpdate = z.infer<typeof trmmWinUpdate>;
export type { ScanStatus };

export interface AgentRights {
  admin: boolean;
  canListAgents: boolean;
  canSendCmd: boolean;
  canManageWinupdates: boolean;
}

export const agentKey = (agentId: string) => ["agents", agentId] as const;
