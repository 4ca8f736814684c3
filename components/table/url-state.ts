"use client";
import { useSearchParams } from "next/navigation";
import { useCallback, useState } from "react";

/**
 * One query parameter as React state: read from the URL at mount, written back with
 * history.replaceState so a reload or a shared link keeps it. replaceState (rather than
 * router.replace) keeps typing in a search box from asking the server for the page again;
 * Next's router picks the change up for useSearchParams either way. The empty string means
 * "not set" and removes the parameter, so default views keep clean URLs.
 */
export function useUrlParam(name: string): [string, (value: string) => void] {
  const params = useSearchParams();
  const [value, setValue] = useState(() => params.get(name) ?? "");
  const set = useCallback(
    (next: string) => {
      setValue(next);
      // Read the live URL, not the render's snapshot: several parameters may change in one event.
      const url = new URL(window.location.href);
      if (next) url.searchParams.set(name, next);
      else url.searchParams.delete(name);
      window.history.replaceState(window.history.state, "", url);
    },
    [name],
  );
  return [value, set];
}
