import { AgentDetail } from "@/components/agents/agent-detail";

export default async function AgentPage({ params }: { params: Promise<{ agentId: string }> }) {
  const { agentId } = await params;
  return <AgentDetail agentId={agentId} />;
}
