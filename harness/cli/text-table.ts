/** A text table for a command's output: the commands' summaries and the bench's reports. */

/** Rows as lines: the first column left-aligned, the others right-aligned (numbers), two spaces apart. */
export function table(rows: string[][]): string[] {
    const widths = rows[0].map((_, column) => Math.max(...rows.map(row => row[column].length)));
    return rows.map(row =>
        row
            .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
            .join("  ")
            .trimEnd(),
    );
}
