//! The REPL reads an entry line by line and asks the parser whether it is
//! finished. Every line prefix of a multi-line construct must be
//! `incomplete`, and the whole construct complete and clean.

use snow_lang::syntax::parse;

const CASES: &[&str] = &[
    "cond do\n  x < 0 -> :neg\n  true -> :non_neg\nend\n",
    "case msg do\n  (:ok, v) when v > 10 -> \"big\"\n  (:ok, _) -> \"small\"\n  [first | _] -> first\n  %{\"name\" => n} -> n\n  _ -> \"other\"\nend\n",
    "actor counter(n) do\n  receive do\n    (:inc) -> counter(n + 1)\n    (:get, from) ->\n      send(from, (:count, n))\n      counter(n)\n  after 5000 ->\n    :idle_timeout\n  end\nend\n",
    "receive do\n  (:count, n) -> println(\"count is ${n}\")\nend\n",
    "fn add(a, b) do\n  a + b\nend\n",
    "let noisy = fn x do\n  println(x)\n  x\nend\n",
    "if x > 0 do\n  :pos\nelse\n  :neg\nend\n",
    "for x in [1, 2, 3] do\n  x * 2\nend\n",
    "let f = fn\n  0 -> :zero\n  n -> n\nend\n",
    "[1,\n 2,\n 3]\n",
    "%{a: 1,\n  b: 2}\n",
    "\"line one\nline two\"\n",
    "module Geo do\n  fn area(w, h) = w * h\n  fn unit() do\n    area(1, 1)\n  end\nend\n",
    "service Counter do\n  fn init(n) = n\n  call get() do |n|\n    (n, n)\n  end\n  cast add(k) do |n| n + k end\nend\n",
    "supervisor Shop do\n  strategy: :one_for_all\n  child cart do\n    start: fn -> spawn_link(fn -> :ok end) end\n    restart: :temporary\n  end\nend\n",
];

#[test]
fn every_prefix_of_an_open_construct_is_incomplete() {
    for case in CASES {
        let lines: Vec<&str> = case.split_inclusive('\n').collect();
        for n in 1..lines.len() {
            let prefix: String = lines[..n].concat();
            let out = parse(&prefix);
            assert!(out.incomplete, "prefix should be incomplete:\n{prefix}\n-- diagnostics: {:?}", out.diagnostics);
        }
        let whole = parse(case);
        assert!(!whole.incomplete && whole.diagnostics.is_empty(), "{case}: {:?}", whole.diagnostics);
    }
}
