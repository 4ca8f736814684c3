import { StatusBoard } from "./status-board";

// The public status view: no sign-in. What it shows comes from Nezha's details route, asked
// without credentials, so the panel decides (off → refused; on → servers not hidden from guests).
export default function StatusPage() {
  return <StatusBoard />;
}
