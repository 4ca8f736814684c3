import { getTranslations } from "next-intl/server";

export default async function Page() {
  const t = await getTranslations();
  return (
    <section className="space-y-4">
      <h1 className="text-2xl font-semibold">{t("nav.servers")}</h1>
      <p className="card text-slate-500">{t("empty.servers")}</p>
    </section>
  );
}
