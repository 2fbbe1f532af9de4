import { stockKey } from "./stock";

/** Units on hand of one SKU, as the inventory consumer's state table starts with them. */
export interface StockSeed {
  readonly sku: string;
  readonly available: number;
}

/**
 * The stock the example domain starts with, for the local pipeline and demos. It covers the
 * catalog's example SKUs ("ABC", "XYZ") with room for many orders, one SKU that is always short
 * ("SCARCE", a single unit) to exercise InventoryReservationFailed, and one that is sold out.
 * A SKU missing from this list is unknown to inventory.
 */
export const stockSeed: readonly StockSeed[] = [
  { sku: "ABC", available: 1_000 },
  { sku: "XYZ", available: 1_000 },
  { sku: "DEF", available: 250 },
  { sku: "GHI", available: 100 },
  { sku: "SCARCE", available: 1 },
  { sku: "SOLD-OUT", available: 0 },
];

/** The seed as state table items (`pk = SKU#<sku>`, `sk = STOCK`, `available`), ready for PutItem. */
export function stockSeedItems(): { pk: string; sk: string; available: number }[] {
  return stockSeed.map((seed) => ({ ...stockKey(seed.sku), available: seed.available }));
}
