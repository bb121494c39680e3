import { useEffect } from 'react';

/** Each page names itself, so screen-reader users and tabs can tell pages apart (WCAG 2.4.2). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Hardened Shop`;
  }, [title]);
}
