/** Focus handling shared by the side drawers (item, cell). */
import { useEffect, useRef } from 'react';

/**
 * Moves focus to the drawer's heading when it opens, closes it on Escape, and gives focus back
 * to the element that opened it when it closes (WAI-ARIA dialog pattern, non-modal).
 * @returns the ref to put on the heading (which needs `tabIndex={-1}`).
 */
export function useDrawerFocus(onClose: () => void) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const opener = document.activeElement;
    heading.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      if (opener instanceof HTMLElement) opener.focus();
    };
  }, [onClose]);
  return heading;
}
