/**
 * Money as the bill and the bench write it, from the values in prices.ts: a price column that is
 * computed from the same figures as the cost, so that it cannot say another thing.
 */

/** Rounds away a product's floating-point noise (0.007 / 10_000 * 10_000 is 0.006999999999999999). */
const exact = (value: number) => Number(value.toPrecision(12));

/**
 * A price in words: `value` dollars per unit, quoted per `per` units ("$0.20 per million",
 * "$0.005 per 1,000", "$0.023 per GB-month"). At least two decimals, and as many as the price has.
 */
export function listPriceText(value: number, per: number, unit = ""): string {
    const amount = exact(value * per).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 20 });
    const count = per === 1 ? "" : per === 1_000_000 ? "million" : per.toLocaleString("en-US");
    return `$${amount} per ${[count, unit].filter(Boolean).join(" ")}`;
}

/**
 * An amount of dollars, to the cent and grouped by thousands ("$1,642.50"). A bill's amounts are
 * worth no more than cents, and a positive one below a cent shows as "< $0.01". With `mills`,
 * amounts below $0.10 get a third decimal ("$0.022"): what a cost per million ticks needs, since
 * it is multiplied by billions of ticks (a positive one below that shows as "< $0.001").
 */
export function dollars(value: number, precision: "cents" | "mills" = "cents"): string {
    const decimals = precision === "mills" && value < 0.1 ? 3 : 2;
    const smallest = 10 ** -decimals;
    if (value > 0 && value < smallest) return `< $${smallest.toFixed(decimals)}`;
    return `$${value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals })}`;
}
