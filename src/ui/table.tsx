// One table shape for the console's pages: a scrolling box, a caption (for screen readers unless shown), column headers.
import type { Child, FC } from 'hono/jsx';

/** A column header; `n` marks a numeric column (right-aligned). */
export type Column = string | { label: string; n: true };

export const Table: FC<{ caption: string; columns: Column[]; showCaption?: boolean; children?: Child }> = ({ caption, columns, showCaption, children }) => (
  <div class="scroll">
    <table>
      <caption class={showCaption ? undefined : 'sr-only'}>{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) =>
            typeof c === 'string' ? (
              <th scope="col">{c}</th>
            ) : (
              <th scope="col" class="n">
                {c.label}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
);
