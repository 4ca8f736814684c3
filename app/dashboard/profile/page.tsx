import { requireUser } from "@/lib/auth/session";
import { ProfileSettings } from "@/components/profile-settings";

export default async function ProfilePage() {
  const me = await requireUser();
  return <ProfileSettings username={me.username} />;
}
