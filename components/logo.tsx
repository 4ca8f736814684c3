/** The Fleetdeck mark (the same drawing as public/icon.svg), inline so it costs no request. */
export function Logo({ className = "h-7 w-7" }: { className?: string }) {
  return (
    <svg aria-hidden="true" viewBox="0 0 64 64" className={className}>
      <rect width="64" height="64" rx="14" fill="#4f46e5" />
      <rect x="13" y="13" width="38" height="10" rx="3" fill="#fff" />
      <rect x="13" y="27" width="38" height="10" rx="3" fill="#fff" fillOpacity="0.85" />
      <rect x="13" y="41" width="38" height="10" rx="3" fill="#fff" fillOpacity="0.7" />
      <circle cx="44" cy="18" r="2.5" fill="#10b981" />
      <circle cx="44" cy="32" r="2.5" fill="#10b981" />
      <circle cx="44" cy="46" r="2.5" fill="#f59e0b" />
    </svg>
  );
}
