import { describe, expect, it } from "vitest";
import { AUDIT_TABLE_NAME } from "../../lib/audit/audit-table";
import {
  bindSavedQuery,
  findSavedQuery,
  placeholdersOf,
  SavedQueryError,
  savedQueries,
} from "../../lib/audit/saved-queries";

function exampleValues(name: string): Record<string, string> {
  return Object.fromEntries(findSavedQuery(name).parameters.map((p) => [p.name, p.example]));
}

describe("the saved queries", () => {
  it("cover the stories the issue asks for, under unique kebab-case names", () => {
    const names = savedQueries.map((q) => q.name);

    expect(names).toEqual([
      "events-per-type-per-day",
      "order-story",
      "by-correlation-id",
      "by-event-id",
      "producer-window",
      "replayed-or-redriven",
    ]);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  describe.each(savedQueries.map((q) => [q.name, q] as const))("%s", (_name, query) => {
    it("declares exactly the placeholders its SQL uses", () => {
      expect(placeholdersOf(query.sql).sort()).toEqual(query.parameters.map((p) => p.name).sort());
    });

    it("reads the audit table and filters on the dt partition", () => {
      expect(query.sql).toContain(`FROM ${AUDIT_TABLE_NAME}`);
      expect(query.sql).toMatch(/WHERE dt BETWEEN/);
    });

    it("binds its example values, leaving no placeholder behind", () => {
      const sql = bindSavedQuery(query, exampleValues(query.name));

      expect(placeholdersOf(sql)).toEqual([]);
    });
  });
});

describe("binding parameters", () => {
  it("writes text as a quoted literal, doubling single quotes", () => {
    const sql = bindSavedQuery(findSavedQuery("by-correlation-id"), {
      ...exampleValues("by-correlation-id"),
      correlationId: "x' OR '1'='1",
    });

    expect(sql).toContain("= 'x'' OR ''1''=''1'");
  });

  it("normalizes a timestamp to EventBridge's UTC whole-second form, so it compares with event_time as text", () => {
    const sql = bindSavedQuery(findSavedQuery("producer-window"), {
      producer: "checkout",
      fromTime: "2026-03-01T10:00:00.250+02:00",
      toTime: "2026-03-01T09:00:00Z",
    });

    expect(sql).toContain("event_time >= '2026-03-01T08:00:00Z' AND event_time < '2026-03-01T09:00:00Z'");
  });

  it("does not substitute placeholders inside a bound value", () => {
    const sql = bindSavedQuery(findSavedQuery("order-story"), {
      ...exampleValues("order-story"),
      orderId: "ORD-:toDate",
    });

    expect(sql).toContain("'ORD-:toDate'");
  });

  it.each([
    [
      "a missing parameter",
      { fromDate: "2026-03-01" },
      /needs parameter toDate .* --param toDate=2026-03-07/,
    ],
    [
      "an unknown parameter",
      { fromDate: "2026-03-01", toDate: "2026-03-02", orderId: "ORD-1" },
      /has no parameter orderId; expected fromDate, toDate/,
    ],
    [
      "a date that is not yyyy-MM-dd",
      { fromDate: "01/03/2026", toDate: "2026-03-02" },
      /parameter fromDate is "01\/03\/2026"; expected a date yyyy-MM-dd/,
    ],
    [
      "a date that does not exist",
      { fromDate: "2026-02-30", toDate: "2026-03-02" },
      /parameter fromDate is "2026-02-30"/,
    ],
  ])("refuses %s, naming it", (_case, values, message) => {
    const act = () => bindSavedQuery(findSavedQuery("events-per-type-per-day"), values);

    expect(act).toThrow(SavedQueryError);
    expect(act).toThrow(message);
  });

  it("refuses a timestamp that is not ISO 8601", () => {
    const act = () =>
      bindSavedQuery(findSavedQuery("producer-window"), {
        producer: "checkout",
        fromTime: "yesterday",
        toTime: "2026-03-01T09:00:00Z",
      });

    expect(act).toThrow(/parameter fromTime is "yesterday"; expected an ISO 8601 date-time/);
  });

  it("names the known queries when asked for an unknown one", () => {
    expect(() => findSavedQuery("orders")).toThrow(
      /"orders" does not exist; expected one of: events-per-type-per-day/,
    );
  });
});
