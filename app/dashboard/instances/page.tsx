import { requireUser } from "@/lib/auth/session";
import { MyInstances } from "@/components/daemons/my-instances";

/** The instances the signed-in user may use (MCSManager's model: assigned by an administrator). */
export default async function InstancesPage() {
  await requireUser();
  return <MyInstances />;
}
