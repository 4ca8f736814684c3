import { ClientsAdmin } from "@/components/clients/clients-admin";

// Who may see and change clients and sites is the API's business (can_list_clients and friends).
export default function ClientsPage() {
  return <ClientsAdmin />;
}
