/**
 * An item named by its record (issue 14 item 7): the label of the row it stands for (the API's
 * `item.label`: the table's label field, else the row's first text field) followed by its key
 * in muted text, or the key alone when the item stands for no row. One line, cut with an
 * ellipsis; the whole of both in the tooltip.
 */
import type { Item } from '../api/client';

export function ItemName({ item, className }: { item: Pick<Item, 'key' | 'label'>; className?: string }) {
  const label = item.label ?? null;
  return (
    <span className={`clip ${className ?? ''}`} title={label ? `${label} — ${item.key}` : item.key} data-testid="item-name">
      {label ? (
        <>
          <span className="item-label">{label}</span> <span className="muted small mono">{item.key}</span>
        </>
      ) : (
        item.key
      )}
    </span>
  );
}

/** An item for a sentence or an aria-label: "label (key)", or the key. */
export const itemText = (item: Pick<Item, 'key' | 'label'>): string => (item.label ? `${item.label} (${item.key})` : item.key);
