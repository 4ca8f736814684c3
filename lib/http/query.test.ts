import { describe, expect, it } from "vitest";
import { queryValue } from "./query";

describe("queryValue agrees with URLSearchParams", () => {
  const cases = [
    "", "?", "?apikey=fdk_abc", "apikey=fdk_abc", "?a=1&apikey=fdk_abc&b=2", "?apikey=", "?apikey", "?apikeyx=1&apikey=2",
    "?xapikey=1", "?apikey&apikey=2", "?a+b=1&apikey=c+d", "?apikey=a%2Bb", "?apikey=a+b", "?apikey=%E4%BD%A0", "?apikey=1&apikey=2", "?api%6Bey=enc", "?api%6Bey=enc&apikey=plain",
    "?apikey=%zz", "?&&apikey=v&&", "?a=%20&apikey=v", "?apikey=v#frag",
  ];
  it.each(cases)("%j", (search) => {
    expect(queryValue(search, "apikey")).toBe(new URLSearchParams(search).get("apikey"));
  });
});
