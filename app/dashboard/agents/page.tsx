import { AgentsList } from "@/components/agents/agents-list";

export default function AgentsPage() {
  return <AgentsList />;
}
