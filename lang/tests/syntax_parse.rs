//! Parser tests: every code block of language.md parses cleanly, and focused
//! cases pin the AST shape of each construct (as compact S-expressions).

use snow_lang::syntax::{parse, MAX_NESTING};

const BINDINGS: &str = r#"
let x = 1
let x = x + 1            # a new binding shadows the old one
let (a, b) = (1, 2)      # patterns bind; a mismatch raises badmatch
let [h | t] = [1, 2, 3]

fn add(a, b) do
  a + b
end

fn double(x) = x * 2     # one-line form

fn fib(0) = 0            # several clauses, tried in order
fn fib(1) = 1
fn fib(n) when n > 1 = fib(n - 1) + fib(n - 2)

let triple = fn x -> x * 3 end
let add3 = fn(a, b, c) -> a + b + c end
let add2 = fn a, b -> a + b end      # parentheses around parameters are optional
let noisy = fn x do
  println(x)
  x
end
let tick = fn -> :tick end             # no arguments
let job = fn do                        # no arguments, a block body
  println("working")
  :done
end
println(triple(add(1, double(2))))   # 15: closures are called like functions
5 |> double() |> add(1)              # pipe: the left value becomes the first argument
"#;

const CONTROL_FLOW: &str = r#"
if x > 0 do "positive" else "not positive" end

case msg do
  (:ok, v) when v > 10 -> "big"
  (:ok, _) -> "small"
  [first | _] -> first
  %{"name" => n} -> n
  _ -> "other"
end

cond do
  x < 0 -> :neg
  true -> :non_neg
end

for x in [1, 2, 3] do x * 2 end       # [2, 4, 6]
for (k, v) in [(:a, 1), (:b, 2)] do v end   # any pattern; [1, 2]
"#;

const PROCESSES: &str = r#"
actor counter(n) do
  receive do
    (:inc) -> counter(n + 1)
    (:get, from) ->
      send(from, (:count, n))
      counter(n)
  after 5000 ->
    :idle_timeout
  end
end

let pid = spawn(counter, 0)     # spawn(f, args...) runs f(args...) in a new process
send(pid, (:inc))
send(pid, (:get, self()))
receive do
  (:count, n) -> println("count is ${n}")
end
"#;

#[test]
fn language_md_blocks_parse_without_diagnostics() {
    for (name, block) in
        [("bindings", BINDINGS), ("control flow", CONTROL_FLOW), ("processes", PROCESSES)]
    {
        let out = parse(block);
        assert!(out.diagnostics.is_empty(), "{name}: {:#?}", out.diagnostics);
        assert!(!out.incomplete, "{name}");
        assert!(!out.program.items.is_empty(), "{name}");
    }
}

#[test]
fn language_md_bindings_shapes() {
    let got = sx(BINDINGS);
    let expected = r#"(let x 1)
(let x (+ x 1))
(let (tuple a b) (tuple 1 2))
(let [h | t] [1 2 3])
(defn add (a b) (+ a b))
(defn double (x) (* x 2))
(defn fib (0) 0)
(defn fib (1) 1)
(defn fib (n) when (> n 1) (+ (fib (- n 1)) (fib (- n 2))))
(let triple (fn [x -> (* x 3)]))
(let add3 (fn [a b c -> (+ (+ a b) c)]))
(let add2 (fn [a b -> (+ a b)]))
(let noisy (fn [x -> (println x) x]))
(let tick (fn [ -> :tick]))
(let job (fn [ -> (println "working") :done]))
(println (triple (add 1 (double 2))))
(add (double 5) 1)"#;
    assert_eq!(got, expected);
}

#[test]
fn language_md_control_flow_shapes() {
    let got = sx(CONTROL_FLOW);
    let expected = r#"(if (> x 0) ["positive"] ["not positive"])
(case msg [(tuple :ok v) when (> v 10) -> "big"] [(tuple :ok _) -> "small"] [[first | _] -> first] [%{"name" => n} -> n] [_ -> "other"])
(cond [(< x 0) -> :neg] [:true -> :non_neg])
(for x in [1 2 3] [(* x 2)])
(for (tuple k v) in [(tuple :a 1) (tuple :b 2)] [v])"#;
    assert_eq!(got, expected);
}

#[test]
fn language_md_processes_shapes() {
    let got = sx(PROCESSES);
    let expected = r#"(defn counter (n) (receive [:inc -> (counter (+ n 1))] [(tuple :get from) -> (send from (tuple :count n)) (counter n)] after 5000 -> :idle_timeout))
(let pid (spawn counter 0))
(send pid :inc)
(send pid (tuple :get (self)))
(receive [(tuple :count n) -> (println (str "count is " ${n}))])"#;
    assert_eq!(got, expected);
}

#[test]
fn language_md_inline_snippets() {
    for src in [
        "fn add(a :: Int, b :: Int) -> Int do\n  a + b\nend",
        "let x :: Int = 1",
        "spawn(worker)",
        "true == :true",
        "(:inc)",
        "List.range(1, 3)",
        "System.monotonic_time()",
        "div(7, 2) + rem(7, 2)",
        "\"hi\" <> \"!\"",
        "[1] ++ [2]",
        "x && y || !z",
        "a and not b or c",
    ] {
        let out = parse(src);
        assert!(out.diagnostics.is_empty(), "{src:?}: {:#?}", out.diagnostics);
    }
}

// ---- lexical ---------------------------------------------------------------

#[test]
fn numbers() {
    assert_eq!(sx("42; 1_000_000; 0xff; 0XFF"), "42\n1000000\n255\n255");
    assert_eq!(sx("3.14; 1.0e-3; 1e3; 2.5E+2"), "3.14\n0.001\n1000.0\n250.0");
    assert_eq!(sx("-7"), "(- 7)");
    assert_eq!(sx("9223372036854775807"), "9223372036854775807");
    assert_eq!(errors("9223372036854775808"), ["integer literal too large"]);
    assert_eq!(errors("0xffffffffffffffffff"), ["integer literal too large"]);
}

#[test]
fn comments_and_blank_lines() {
    assert_eq!(sx("# only a comment"), "");
    assert_eq!(sx("\n\n1 # one\n\n# two\n2\n\n"), "1\n2");
    assert_eq!(sx("fn f() do # c\n  # c\n\n  1 # c\n  # c\nend # c"), "(defn f () 1)");
}

#[test]
fn strings_and_escapes() {
    assert_eq!(sx(r#""""#), r#""""#);
    assert_eq!(sx(r#""a\n\t\r\"\\\$\0b""#), r#""a\n\t\r\"\\$\0b""#);
    assert_eq!(sx("\"two\nlines\""), r#""two\nlines""#);
    assert_eq!(sx(r#""price: \${x}""#), r#""price: ${x}""#);
    assert_eq!(errors(r#""a\qb""#), ["unknown escape `\\q`"]);
}

#[test]
fn interpolation() {
    assert_eq!(sx(r#""n=${n + 1}""#), r#"(str "n=" ${(+ n 1)})"#);
    assert_eq!(sx(r#""${x}""#), "(str ${x})");
    assert_eq!(sx(r#""a${"b${c}d"}e""#), r#"(str "a" ${(str "b" ${c} "d")} "e")"#);
    assert_eq!(sx(r#""${%{a: 1}}""#), "(str ${%{:a => 1}})");
    assert_eq!(sx(r#""${%{m | a: %{}}}!""#), r#"(str ${%{m | :a => %{}}} "!")"#);
    assert_eq!(sx("\"${\n  1 +\n  2\n}\""), "(str ${(+ 1 2)})");
}

#[test]
fn interpolation_spans_are_absolute() {
    let src = r#"let s = "ab${foo(1)}cd""#;
    let out = parse(src);
    let ast::Item::Expr(let_) = &out.program.items[0] else { panic!() };
    let ast::ExprKind::Let(_, value) = &let_.kind else { panic!() };
    let ast::ExprKind::Str(parts) = &value.kind else { panic!() };
    let ast::StrPart::Interp(call) = &parts[1] else { panic!() };
    assert_eq!(&src[call.span.clone()], "foo(1)");
    let ast::ExprKind::Call(_, args) = &call.kind else { panic!() };
    assert_eq!(&src[args[0].span.clone()], "1");
    assert_eq!(&src[value.span.clone()], r#""ab${foo(1)}cd""#);
}

#[test]
fn atoms() {
    assert_eq!(
        sx(":ok; :alive?; :done!; :\"a@127.0.0.1\"; :\"q\\\"\""),
        ":ok\n:alive?\n:done!\n:a@127.0.0.1\n:q\""
    );
    assert_eq!(sx("true; false; nil"), ":true\n:false\n:nil");
}

#[test]
fn identifiers_and_modules() {
    assert_eq!(sx("empty?(x); save!(y); _x"), "(empty? x)\n(save! y)\n_x");
    assert_eq!(sx("IO.puts(1)"), "(IO.puts 1)");
    assert_eq!(sx("System.argv"), "(System.argv)");
    assert_eq!(sx("List.reverse([1])"), "(List.reverse [1])");
}

// ---- newlines ---------------------------------------------------------------

#[test]
fn newlines_end_expressions_except_inside_brackets() {
    assert_eq!(sx("a\nb"), "a\nb");
    assert_eq!(sx("f(1,\n  2)"), "(f 1 2)");
    assert_eq!(sx("[\n1\n,\n2\n]"), "[1 2]");
    assert_eq!(sx("%{\n  a: 1,\n  b: 2\n}"), "%{:a => 1, :b => 2}");
    assert_eq!(sx("(1\n+\n2)"), "(+ 1 2)");
}

#[test]
fn newlines_after_operators_and_commas_continue() {
    assert_eq!(sx("1 +\n2"), "(+ 1 2)");
    assert_eq!(sx("a ==\n  b"), "(== a b)");
    assert_eq!(sx("let x =\n  5"), "(let x 5)");
    assert_eq!(sx("x\n|> f()\n|> g(1)"), "(g (f x) 1)");
    assert_eq!(sx("x\n-1"), "x\n(- 1)");
}

#[test]
fn semicolons_separate() {
    assert_eq!(sx("a; b;; c;"), "a\nb\nc");
    assert_eq!(sx("fn f() do a; b end"), "(defn f () a b)");
}

#[test]
fn blocks_inside_parens_are_newline_separated_again() {
    let src = "spawn(fn do\n  println(\"hi\")\n  :ok\nend)";
    assert_eq!(sx(src), r#"(spawn (fn [ -> (println "hi") :ok]))"#);
    let src = "List.map(xs, fn x ->\n  let y = x * 2\n  y + 1\nend)";
    assert_eq!(sx(src), "(List.map xs (fn [x -> (let y (* x 2)) (+ y 1)]))");
    let src =
        "case x do\n  1 ->\n    Enum.map(xs, fn y ->\n      y\n    end)\n    (a, b)\n  _ -> 0\nend";
    assert_eq!(sx(src), "(case x [1 -> (Enum.map xs (fn [y -> y])) (tuple a b)] [_ -> 0])");
    let src = "f([case x do\n 1 -> :a\n _ -> :b\nend, 2])";
    assert_eq!(sx(src), "(f [(case x [1 -> :a] [_ -> :b]) 2])");
}

// ---- functions ----------------------------------------------------------------

#[test]
fn named_functions() {
    assert_eq!(sx("fn f() do\nend"), "(defn f () )");
    assert_eq!(sx("fn f(x) when x > 0 do\n x\nend"), "(defn f (x) when (> x 0) x)");
    assert_eq!(sx("fn f(x) -> Int when x > 0 do x end"), "(defn f (x) when (> x 0) x)");
    assert_eq!(sx("actor loop(state) do\n  loop(state)\nend"), "(defn loop (state) (loop state))");
    assert_eq!(
        sx("fn f((:ok, v), [h | t], %{a: a}) = v"),
        "(defn f ((tuple :ok v) [h | t] %{:a => a}) v)"
    );
    assert_eq!(sx("fn main() do\n  f()\nend\nfn f() = 1"), "(defn main () (f))\n(defn f () 1)");
}

#[test]
fn type_annotations_are_dropped() {
    for (src, want) in [
        ("fn add(a :: Int, b :: Int) -> Int do a + b end", "(defn add (a b) (+ a b))"),
        ("fn f(m :: Map<String, List<Int>>) -> [Int] = m", "(defn f (m) m)"),
        ("fn f(p :: Pid, t :: (Int, String)) -> Int | Nil = 1", "(defn f (p t) 1)"),
        ("fn f(g :: fn(Int) -> Int) -> fn(Int) -> Int do g end", "(defn f (g) g)"),
        ("let x :: Int = 1", "(let x 1)"),
        ("let f :: fn(Int, Int) -> Int = fn a, b -> a end", "(let f (fn [a b -> a]))"),
        ("let m :: Map<String, Int> = %{}", "(let m %{})"),
    ] {
        assert_eq!(sx(src), want, "{src}");
    }
}

#[test]
fn named_definitions_only_at_top_level() {
    assert_eq!(
        errors("fn outer() do\n  fn inner(x) = x\n  1\nend"),
        ["named functions can only be defined at the top level"]
    );
    assert_eq!(errors("case x do\nend"), ["unexpected `end`"]);
    assert_eq!(errors("receive do {:ok, x} -> x end"), ["unexpected character `{`"]);
    assert_eq!(errors("fn f() do\n  1\nend fn g() = 2"), ["unexpected `fn`"]);
}

#[test]
fn lambdas() {
    for (src, want) in [
        ("fn x -> x * 3 end", "(fn [x -> (* x 3)])"),
        ("fn(a, b, c) -> a + b + c end", "(fn [a b c -> (+ (+ a b) c)])"),
        ("fn a, b -> a + b end", "(fn [a b -> (+ a b)])"),
        ("fn x do\n  println(x)\n  x\nend", "(fn [x -> (println x) x])"),
        ("fn -> :tick end", "(fn [ -> :tick])"),
        ("fn() -> :tick end", "(fn [ -> :tick])"),
        ("fn do :done end", "(fn [ -> :done])"),
        ("fn 0 -> :zero; n -> n end", "(fn [0 -> :zero] [n -> n])"),
        ("fn\n  (:ok, v) -> v\n  _ -> nil\nend", "(fn [(tuple :ok v) -> v] [_ -> :nil])"),
        ("fn (:ok, v) -> v end", "(fn [:ok v -> v])"),
        ("fn((:ok, v)) -> v end", "(fn [(tuple :ok v) -> v])"),
        (
            "fn(0, acc) -> acc\n  (n, acc) -> n + acc\nend",
            "(fn [0 acc -> acc] [n acc -> (+ n acc)])",
        ),
        ("fn x when x > 0 -> x\n  _ -> 0\nend", "(fn [x when (> x 0) -> x] [_ -> 0])"),
        ("fn x ->\n  let y = x\n  y\n  z -> z\nend", "(fn [x -> (let y x) y] [z -> z])"),
        ("fn x -> fn y -> x + y end end", "(fn [x -> (fn [y -> (+ x y)])])"),
    ] {
        assert_eq!(sx(src), want, "{src}");
    }
}

#[test]
fn calls() {
    assert_eq!(sx("make_adder(1)(2)"), "(<(make_adder 1)> 2)");
    assert_eq!(sx("f.(x)"), "(f x)");
    assert_eq!(sx("f.(x).(y)"), "(<(f x)> y)");
    assert_eq!(sx("(fn x -> x end).(1)"), "(<(fn [x -> x])> 1)");
    assert_eq!(sx("f(a, b,)"), "(f a b)");
    assert_eq!(sx("&add/2; &Enum.map/2"), "&add/2\n&Enum.map/2");
}

#[test]
fn pipes_desugar_to_calls() {
    assert_eq!(sx("a |> f(b)"), "(f a b)");
    assert_eq!(sx("a |> f"), "(f a)");
    assert_eq!(sx("a |> Mod.f(b)"), "(Mod.f a b)");
    assert_eq!(sx("a |> Mod.f"), "(Mod.f a)");
    assert_eq!(sx("5 |> double() |> add(1)"), "(add (double 5) 1)");
    assert_eq!(sx("1 + 2 |> f()"), "(f (+ 1 2))");
    assert_eq!(sx("x |> f() == y"), "(== (f x) y)");
    assert_eq!(errors("a |> 1"), ["`|>` must be followed by a function call"]);
}

#[test]
fn operator_precedence_and_associativity() {
    for (src, want) in [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("8 / 2 / 2", "(/ (/ 8 2) 2)"),
        ("a ++ b ++ c", "(++ a (++ b c))"),
        ("a <> b <> c", "(<> a (<> b c))"),
        ("a ++ b + c", "(++ a (+ b c))"),
        ("a < b == c > d", "(== (< a b) (> c d))"),
        ("a or b and c", "(or a (and b c))"),
        ("a || b && c", "(|| a (&& b c))"),
        ("a == b and c != d", "(and (== a b) (!= c d))"),
        ("a === b or c !== d", "(or (=== a b) (!== c d))"),
        ("a <= b and c >= d", "(and (<= a b) (>= c d))"),
        ("-x * y", "(* (- x) y)"),
        ("not a == b", "(== (not a) b)"),
        ("!!a", "(! (! a))"),
        ("- -1", "(- (- 1))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
    ] {
        assert_eq!(sx(src), want, "{src}");
    }
}

// ---- data ----------------------------------------------------------------------

#[test]
fn tuples_lists_maps() {
    for (src, want) in [
        ("()", "(tuple)"),
        ("(1,)", "(tuple 1)"),
        ("(1)", "1"),
        ("(1, :a)", "(tuple 1 :a)"),
        ("(a; b)", "(block a b)"),
        ("[]", "[]"),
        ("[1, 2,]", "[1 2]"),
        ("[h | t]", "[h | t]"),
        ("[a, b | t]", "[a b | t]"),
        ("%{}", "%{}"),
        ("%{\"k\" => 1, :a => 2}", "%{\"k\" => 1, :a => 2}"),
        ("%{a: 1, b: 2}", "%{:a => 1, :b => 2}"),
        ("%{a: 1, \"b\" => 2}", "%{:a => 1, \"b\" => 2}"),
        ("%{m | k => v}", "%{m | k => v}"),
        ("%{m | a: 1, b: 2}", "%{m | :a => 1, :b => 2}"),
        ("%{f(x) => [1]}", "%{(f x) => [1]}"),
    ] {
        assert_eq!(sx(src), want, "{src}");
    }
}

// ---- patterns ---------------------------------------------------------------------

#[test]
fn patterns() {
    for (src, want) in [
        ("let _ = x", "(let _ x)"),
        ("let _ignored = x", "(let _ x)"),
        ("let ^x = y", "(let ^x y)"),
        ("let () = x", "(let (tuple) x)"),
        ("let (a,) = x", "(let (tuple a) x)"),
        ("let (a) = x", "(let a x)"),
        ("let (:inc) = x", "(let :inc x)"),
        ("let [] = x", "(let [] x)"),
        ("let [a, b] = x", "(let [a b] x)"),
        ("let [a, b | t] = x", "(let [a b | t] x)"),
        ("let %{\"name\" => n, :a => x} = m", "(let %{\"name\" => n, :a => x} m)"),
        ("let %{name: n} = m", "(let %{:name => n} m)"),
        ("let %{^k => v} = m", "(let %{^k => v} m)"),
        ("let \"s\" = x", "(let \"s\" x)"),
        ("let -7 = x", "(let -7 x)"),
        ("let -1.5 = x", "(let -1.5 x)"),
        ("let true = x", "(let :true x)"),
        ("let ((:ok, _) = whole) = x", "(let (as (tuple :ok _) whole) x)"),
    ] {
        assert_eq!(sx(src), want, "{src}");
    }
}

#[test]
fn alias_patterns_in_clauses() {
    assert_eq!(
        sx("case x do\n  (:ok, _) = whole -> whole\nend"),
        "(case x [(as (tuple :ok _) whole) -> whole])"
    );
    assert_eq!(
        sx("case x do\n  whole = (:ok, _) -> whole\nend"),
        "(case x [(as (tuple :ok _) whole) -> whole])"
    );
    assert_eq!(errors("let %{f(x) => 1} = m").len(), 1);
}

// ---- control flow ---------------------------------------------------------------

#[test]
fn if_forms() {
    for (src, want) in [
        ("if a do b end", "(if a [b])"),
        ("if a do\n  b\nelse\n  c\nend", "(if a [b] [c])"),
        ("if a do b else if c do d else e end", "(if a [b] [(if c [d] [e])])"),
        (
            "if a do\n  b\nelse if c do\n  d\nelse if e do\n  f\nend",
            "(if a [b] [(if c [d] [(if e [f])])])",
        ),
        ("if a do\n  b\nelse\n  if c do d end\nend", "(if a [b] [(if c [d])])"),
    ] {
        assert_eq!(sx(src), want, "{src}");
    }
}

#[test]
fn case_clause_bodies_span_lines() {
    let src = "case x do\n  1 ->\n    a\n    b\n  2 -> c; d\n  _ ->\n    e\nend";
    assert_eq!(sx(src), "(case x [1 -> a b] [2 -> c d] [_ -> e])");
    let src = "case x do 1 -> :a; _ -> :b end";
    assert_eq!(sx(src), "(case x [1 -> :a] [_ -> :b])");
    let src = "case f(x) do\n  [h | t] when h > 0 ->\n    h\n  [] -> nil\nend";
    assert_eq!(sx(src), "(case (f x) [[h | t] when (> h 0) -> h] [[] -> :nil])");
}

#[test]
fn body_line_that_looks_like_a_pattern_is_an_expression() {
    let src = "case x do\n  1 ->\n    y\n    [y]\n  _ -> nil\nend";
    assert_eq!(sx(src), "(case x [1 -> y [y]] [_ -> :nil])");
}

#[test]
fn cond_forms() {
    let src = "cond do\n  x < 0 ->\n    a\n    :neg\n  true -> :pos\nend";
    assert_eq!(sx(src), "(cond [(< x 0) -> a :neg] [:true -> :pos])");
    assert_eq!(sx("cond do a -> 1; b -> 2 end"), "(cond [a -> 1] [b -> 2])");
}

#[test]
fn receive_forms() {
    assert_eq!(sx("receive do\n  x -> x\nend"), "(receive [x -> x])");
    assert_eq!(sx("receive do after 100 -> :x end"), "(receive  after 100 -> :x)");
    assert_eq!(
        sx("receive do\n  :a -> 1\nafter\n  t ->\n    b\n    c\nend"),
        "(receive [:a -> 1] after t -> b c)"
    );
}

#[test]
fn for_forms() {
    assert_eq!(sx("for x in xs do\n  x\nend"), "(for x in xs [x])");
    assert_eq!(sx("for [h | _] in xs do h end"), "(for [h | _] in xs [h])");
}

#[test]
fn let_returns_value() {
    assert_eq!(sx("let (a, b) = let c = (1, 2)"), "(let (tuple a b) (let c (tuple 1 2)))");
}

#[test]
fn statements_in_blocks() {
    let src = "fn main() do\n  let x = 1\n\n  let y = x + 1; println(y)\n  y\nend";
    assert_eq!(sx(src), "(defn main () (let x 1) (let y (+ x 1)) (println y) y)");
}

// ---- spans -----------------------------------------------------------------------

#[test]
fn spans_cover_their_source() {
    let src = "fn add(a, b) do\n  a + b\nend\nlet x = add(1, 2)";
    let out = parse(src);
    let ast::Item::Fn(f) = &out.program.items[0] else { panic!() };
    assert_eq!(&src[f.name_span.clone()], "add");
    assert_eq!(&src[f.span.clone()], "fn add(a, b) do\n  a + b\nend");
    assert_eq!(&src[f.body[0].span.clone()], "a + b");
    assert_eq!(&src[f.params[1].span.clone()], "b");
    let ast::Item::Expr(e) = &out.program.items[1] else { panic!() };
    assert_eq!(&src[e.span.clone()], "let x = add(1, 2)");
}

#[test]
fn pipe_spans_cover_the_whole_chain() {
    let src = "x |> f(1)";
    let out = parse(src);
    let ast::Item::Expr(e) = &out.program.items[0] else { panic!() };
    assert_eq!(&src[e.span.clone()], src);
}

// ---- incomplete input -----------------------------------------------------------

#[test]
fn incomplete_inputs() {
    for src in [
        "fn add(a, b) do",
        "fn add(a, b) do\n  a + b",
        "[1, 2",
        "(1,",
        "%{a: 1",
        "\"abc",
        "\"abc ${x",
        "\"abc ${x}",
        "1 +",
        "1 +\n",
        "f(1,",
        "let x =",
        "case x do\n  1 -> :a",
        "receive do",
        "if x do 1 else",
        "fn x ->",
        "fn",
        "x |>",
        ":\"abc",
        "spawn(fn do\n  println(1)",
    ] {
        let out = parse(src);
        assert!(out.incomplete, "{src:?} should be incomplete: {:#?}", out.diagnostics);
        assert!(!out.diagnostics.is_empty(), "{src:?}");
    }
}

#[test]
fn complete_or_wrong_inputs() {
    for src in [
        "let x = )",
        "end",
        "1 + )",
        "fn f() do end end",
        "(]",
        "[1 2",
        "\"a\\q",
        "1 2 (",
        "let = 1\n(",
        "",
    ] {
        let out = parse(src);
        assert!(!out.incomplete, "{src:?} should not be incomplete: {:#?}", out.diagnostics);
    }
    for src in ["1 + 1", "fn f() do\nend", "\"abc\"", "[1, 2]"] {
        let out = parse(src);
        assert!(!out.incomplete && out.diagnostics.is_empty(), "{src:?}");
    }
}

// ---- recovery and limits ------------------------------------------------------------

#[test]
fn several_errors_in_one_file() {
    let src = "let a = 1 +* 2\nlet b = 3\nfn f() do\n  let = 4\n  ok\nend\nlet c = (1 2)\n";
    let out = parse(src);
    assert_eq!(out.diagnostics.len(), 3, "{:#?}", out.diagnostics);
    let s = items(&out);
    assert!(s.contains("(let b 3)"), "{s}");
    assert!(s.contains("(defn f () ok)"), "{s}");
}

#[test]
fn nesting_limit() {
    let ok = format!("{}1{}", "(".repeat(MAX_NESTING - 1), ")".repeat(MAX_NESTING - 1));
    assert!(parse(&ok).diagnostics.is_empty());
    let deep = format!("{}1{}", "[".repeat(MAX_NESTING + 1), "]".repeat(MAX_NESTING + 1));
    assert_eq!(errors(&deep), ["expression nested too deeply"]);
    let chain = vec!["1"; 2000].join(" + ");
    assert_eq!(errors(&chain), ["expression nested too deeply"]);
}

#[test]
fn classify_tokens() {
    use snow_lang::syntax::{classify, TokenClass as C};
    let src = "fn f(x) do :ok; \"s${x}\" # hi\nIO.puts(1.5) |> g end";
    let got: Vec<(&str, C)> = classify(src).into_iter().map(|(s, c)| (&src[s], c)).collect();
    assert_eq!(
        got,
        vec![
            ("fn", C::Keyword),
            ("f", C::Ident),
            ("(", C::Punct),
            ("x", C::Ident),
            (")", C::Punct),
            ("do", C::Keyword),
            (":ok", C::Atom),
            (";", C::Punct),
            ("\"", C::String),
            ("s", C::String),
            ("${", C::Punct),
            ("x", C::Ident),
            ("}", C::Punct),
            ("\"", C::String),
            ("# hi", C::Comment),
            ("IO", C::Module),
            (".", C::Punct),
            ("puts", C::Ident),
            ("(", C::Punct),
            ("1.5", C::Number),
            (")", C::Punct),
            ("|>", C::Operator),
            ("g", C::Ident),
            ("end", C::Keyword),
        ]
    );
    // Partial and invalid input still classifies.
    assert_eq!(classify("\"abc ${1 +").len(), 5);
    assert_eq!(classify("@ é").len(), 2);
}

mod sexp {
    //! Shared by the syntax tests: a compact S-expression view of the AST, so a
    //! test states the expected tree in one line.

    use snow_lang::ast::*;
    use snow_lang::syntax::{parse, ParseOutput};

    pub fn items(out: &ParseOutput) -> String {
        out.program.items.iter().map(item).collect::<Vec<_>>().join("\n")
    }

    /// Parses `src`, insists on no diagnostics, and returns the S-expressions.
    pub fn sx(src: &str) -> String {
        let out = parse(src);
        assert!(
            out.diagnostics.is_empty(),
            "unexpected diagnostics for {src:?}: {:#?}",
            out.diagnostics
        );
        items(&out)
    }

    /// The titles of the diagnostics for `src`.
    pub fn errors(src: &str) -> Vec<String> {
        parse(src).diagnostics.into_iter().map(|d| d.title).collect()
    }

    pub fn item(i: &Item) -> String {
        match i {
            Item::Fn(f) => {
                let guard =
                    f.guard.as_ref().map(|g| format!(" when {}", expr(g))).unwrap_or_default();
                format!("(defn {} ({}){} {})", f.name, pats(&f.params), guard, exprs(&f.body))
            }
            Item::Expr(e) => expr(e),
            Item::Module(m) => {
                let fns: Vec<String> = m.functions.iter().map(|f| item(&Item::Fn(f.clone()))).collect();
                format!("({} {} {})", m.kind.keyword(), m.name, fns.join(" "))
            }
            Item::Import { path, .. } => format!("(import {path:?})"),
        }
    }

    fn exprs(v: &[Expr]) -> String {
        v.iter().map(expr).collect::<Vec<_>>().join(" ")
    }

    fn pats(v: &[Pattern]) -> String {
        v.iter().map(pat).collect::<Vec<_>>().join(" ")
    }

    fn clause(c: &Clause) -> String {
        let guard = c.guard.as_ref().map(|g| format!(" when {}", expr(g))).unwrap_or_default();
        format!("[{}{} -> {}]", pats(&c.patterns), guard, exprs(&c.body))
    }

    fn clauses(v: &[Clause]) -> String {
        v.iter().map(clause).collect::<Vec<_>>().join(" ")
    }

    fn pairs(v: &[(Expr, Expr)]) -> String {
        v.iter().map(|(k, v)| format!("{} => {}", expr(k), expr(v))).collect::<Vec<_>>().join(", ")
    }

    pub fn expr(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Int(n) => n.to_string(),
            ExprKind::Float(f) => format!("{f:?}"),
            ExprKind::Atom(a) => format!(":{a}"),
            ExprKind::Str(parts) => match parts.as_slice() {
                [StrPart::Lit(s)] => format!("{s:?}"),
                _ => {
                    let ps: Vec<String> = parts
                        .iter()
                        .map(|p| match p {
                            StrPart::Lit(s) => format!("{s:?}"),
                            StrPart::Interp(e) => format!("${{{}}}", expr(e)),
                        })
                        .collect();
                    format!("(str {})", ps.join(" "))
                }
            },
            ExprKind::Var(v) => v.clone(),
            ExprKind::Tuple(v) => format!("(tuple {})", exprs(v)).replace(" )", ")"),
            ExprKind::List(v, tail) => match tail {
                Some(t) => format!("[{} | {}]", exprs(v), expr(t)),
                None => format!("[{}]", exprs(v)),
            },
            ExprKind::Map(v) => format!("%{{{}}}", pairs(v)),
            ExprKind::MapUpdate(m, v) => format!("%{{{} | {}}}", expr(m), pairs(v)),
            ExprKind::Unary(op, x) => {
                let op = match op {
                    UnOp::Neg => "-",
                    UnOp::Not => "not",
                    UnOp::Bang => "!",
                };
                format!("({op} {})", expr(x))
            }
            ExprKind::Binary(op, l, r) => format!("({} {} {})", binop(*op), expr(l), expr(r)),
            ExprKind::Call(callee, args) => {
                let f = match callee {
                    Callee::Name(n) => n.clone(),
                    Callee::Remote { module, fun } => format!("{module}.{fun}"),
                    Callee::Expr(e) => format!("<{}>", expr(e)),
                    Callee::Dynamic { module, fun } => format!("<{}>.{fun}", expr(module)),
                };
                format!("({f}{}{})", if args.is_empty() { "" } else { " " }, exprs(args))
            }
            ExprKind::FnRef { module, name, arity } => match module {
                Some(m) => format!("&{m}.{name}/{arity}"),
                None => format!("&{name}/{arity}"),
            },
            ExprKind::Lambda(cs) => format!("(fn {})", clauses(cs)),
            ExprKind::Let(p, v) => format!("(let {} {})", pat(p), expr(v)),
            ExprKind::If { cond, then, otherwise } => match otherwise {
                Some(o) => format!("(if {} [{}] [{}])", expr(cond), exprs(then), exprs(o)),
                None => format!("(if {} [{}])", expr(cond), exprs(then)),
            },
            ExprKind::Case { subject, clauses: cs } => {
                format!("(case {} {})", expr(subject), clauses(cs))
            }
            ExprKind::Cond(cs) => {
                let cs: Vec<String> =
                    cs.iter().map(|(t, b)| format!("[{} -> {}]", expr(t), exprs(b))).collect();
                format!("(cond {})", cs.join(" "))
            }
            ExprKind::Receive { clauses: cs, after } => match after {
                Some((ms, body)) => {
                    format!("(receive {} after {} -> {})", clauses(cs), expr(ms), exprs(body))
                }
                None => format!("(receive {})", clauses(cs)),
            },
            ExprKind::For { pattern, source, body } => {
                format!("(for {} in {} [{}])", pat(pattern), expr(source), exprs(body))
            }
            ExprKind::Block(v) => format!("(block {})", exprs(v)),
        }
    }

    fn binop(op: BinOp) -> &'static str {
        match op {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::StrictEq => "===",
            BinOp::StrictNe => "!==",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::AndAlso => "&&",
            BinOp::OrElse => "||",
            BinOp::Concat => "<>",
            BinOp::ListConcat => "++",
        }
    }

    pub fn pat(p: &Pattern) -> String {
        match &p.kind {
            PatternKind::Wildcard => "_".into(),
            PatternKind::Var(v) => v.clone(),
            PatternKind::Pin(v) => format!("^{v}"),
            PatternKind::Int(n) => n.to_string(),
            PatternKind::Float(f) => format!("{f:?}"),
            PatternKind::Atom(a) => format!(":{a}"),
            PatternKind::Str(s) => format!("{s:?}"),
            PatternKind::Tuple(v) => format!("(tuple {})", pats(v)).replace(" )", ")"),
            PatternKind::List(v, tail) => match tail {
                Some(t) => format!("[{} | {}]", pats(v), pat(t)),
                None => format!("[{}]", pats(v)),
            },
            PatternKind::Map(v) => {
                let v: Vec<String> =
                    v.iter().map(|(k, v)| format!("{} => {}", pat(k), pat(v))).collect();
                format!("%{{{}}}", v.join(", "))
            }
            PatternKind::Alias(p, name) => format!("(as {} {name})", pat(p)),
        }
    }
}
use sexp::*;
use snow_lang::ast;
use snow_lang::ast::Item;

#[test]
fn modules_and_imports_parse() {
    let got = sx("import \"lib/shapes.snow\"\nmodule Geo do\n  fn area(w, h) = w * h\n  fn unit() do\n    area(1, 1)\n  end\nend\nGeo.area(2, 3)\nlet m = Geo\nm.area(1, 2)\n");
    let expected = r#"(import "lib/shapes.snow")
(module Geo (defn area (w h) (* w h)) (defn unit () (area 1 1)))
(Geo.area 2 3)
(let m :Geo)
(<m>.area 1 2)"#;
    assert_eq!(got, expected);
}

#[test]
fn keyword_arguments_are_one_last_list() {
    assert_eq!(sx("f(1, name: :c, timeout: 5)"), "(f 1 [(tuple :name :c) (tuple :timeout 5)])");
    assert_eq!(sx("[a: 1, b: 2]"), "[(tuple :a 1) (tuple :b 2)]");
    assert_eq!(errors("f(name: 1, 2)"), vec!["keyword pairs must come last"]);
}

#[test]
fn the_words_of_blocks_stay_ordinary_names() {
    // Only `module Name do`, `service Name do`, `import "..."` at the top
    // level are blocks; elsewhere the words are names.
    assert_eq!(sx("let module = 1\ncall(module)\nchild"), "(let module 1)\n(call module)\nchild");
}

#[test]
fn a_service_becomes_its_module() {
    let out = parse(
        "service Counter do\n  fn init(n) = n\n  call get() do |n| (n, n) end\n  call add(k) do |n, _from| (n + k, n + k) end\n  cast reset() do |_| 0 end\nend\n",
    );
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let Item::Module(m) = &out.program.items[0] else { panic!("a module") };
    let names: Vec<String> = m.functions.iter().map(|f| format!("{}/{}", f.name, f.params.len())).collect();
    for want in ["get/1", "get/2", "add/2", "add/3", "reset/1", "start/1", "start_link/2", "__handle_call/3", "__handle_cast/2", "init/1", "__callbacks/0"] {
        assert!(names.contains(&want.to_string()), "{want} missing from {names:?}");
    }
}

#[test]
fn blocks_report_what_they_do_not_hold() {
    assert_eq!(errors("service S do\n  call get() do |n| n end\nend"), vec!["a service needs `fn init(arg)`"]);
    assert_eq!(errors("module M do\n  println(1)\nend"), vec!["a module holds function definitions only"]);
    // Clients that would overlap, and callbacks the server would never call.
    assert_eq!(
        errors("service S do\n  fn init(_) = 0\n  call x() do |s| (0, s) end\n  call x(a) do |s| (a, s) end\n  call add(0) do |s| (0, s) end\n  call add(k) do |s| (k, s) end\nend"),
        vec!["the clients of two handlers called `x` would overlap"]
    );
    assert_eq!(
        errors("service S do\n  fn init(_) = 0\n  cast y() do |s| s end\n  call y() do |s| (1, s) end\n  fn terminate(r) = r\nend"),
        vec!["the clients of two handlers called `y` would overlap", "`terminate` takes 2 arguments"]
    );
    assert_eq!(
        errors("supervisor S do\n  colour: :red\n  child a do\n    restart: :temporary\n  end\nend"),
        vec!["unknown supervisor setting `colour:`", "child `a` has no `start:`"]
    );
}

// ---- tests and assertions ---------------------------------------------------

#[test]
fn assertions_become_calls_of_the_library() {
    assert_eq!(sx("assert x == 1"), r#"(__assert_compare "==" x 1 "assert x == 1")"#);
    assert_eq!(sx("refute a < f(b)"), r#"(__refute_compare "<" a (f b) "refute a < f(b)")"#);
    assert_eq!(sx("assert alive?(p)"), r#"(__assert (alive? p) "assert alive?(p)")"#);
    assert_eq!(sx("refute nil"), r#"(__refute :nil "refute nil")"#);
    // `and` is not a comparison: the value as a whole is tested.
    assert_eq!(sx("assert a and b"), r#"(__assert (and a b) "assert a and b")"#);
    // The code shown on failure is the assertion on one line.
    assert_eq!(sx("assert 1 ==
  2"), r#"(__assert_compare "==" 1 2 "assert 1 == 2")"#);
}

#[test]
fn assert_with_a_pattern_binds_its_variables() {
    assert_eq!(
        sx("assert (:ok, x) = f()"),
        r#"(let (tuple :ok x) (case (f) [(as (tuple :ok x) assert$value) -> assert$value] [assert$value -> (__assert_match_failed "assert (:ok, x) = f()" assert$value [])]))"#
    );
    assert_eq!(
        sx("assert [^h | _] = list"),
        r#"(let [^h | _] (case list [(as [^h | _] assert$value) -> assert$value] [assert$value -> (__assert_match_failed "assert [^h | _] = list" assert$value [(tuple "h" h)])]))"#
    );
}

#[test]
fn receive_assertions_take_a_pattern_a_guard_and_a_timeout() {
    assert_eq!(
        sx("assert_receive (:down, _, ^p, :noconnection), 6000"),
        r#"(let (tuple :down _ ^p :noconnection) (receive [(as (tuple :down _ ^p :noconnection) assert$value) -> assert$value] after 6000 -> (__assert_receive_failed "assert_receive (:down, _, ^p, :noconnection), 6000" 6000 [(tuple "p" p)])))"#
    );
    assert_eq!(
        sx("assert_receive n when n > 1"),
        r#"(let n (receive [(as n assert$value) when (> n 1) -> assert$value] after 100 -> (__assert_receive_failed "assert_receive n when n > 1" 100 [])))"#
    );
    assert_eq!(
        sx("refute_receive :done, 10"),
        r#"(receive [(as :done assert$value) -> (__refute_receive_failed "refute_receive :done, 10" assert$value 10)] after 10 -> :false)"#
    );
}

#[test]
fn a_paren_right_after_the_word_holds_the_arguments() {
    // `word(`: the arguments; `word (`: a tuple pattern or a grouping.
    assert_eq!(
        sx("assert_receive(:a, 100)"),
        r#"(let :a (receive [(as :a assert$value) -> assert$value] after 100 -> (__assert_receive_failed "assert_receive(:a, 100)" 100 [])))"#
    );
    assert_eq!(
        sx("assert_receive (:a, 100)"),
        r#"(let (tuple :a 100) (receive [(as (tuple :a 100) assert$value) -> assert$value] after 100 -> (__assert_receive_failed "assert_receive (:a, 100)" 100 [])))"#
    );
    assert_eq!(sx("assert(x == 1)"), r#"(__assert_compare "==" x 1 "assert(x == 1)")"#);
    assert_eq!(errors("assert(x, 1)"), vec!["unexpected `,`"]);
}

#[test]
fn assertion_words_stay_ordinary_names_elsewhere() {
    assert_eq!(
        sx("let assert = 1\nassert + 1\nf(assert)\nassert - 1\n(assert(2))\nlet test = 2\ntest(3)\ndescribe"),
        "(let assert 1)\n(+ assert 1)\n(f assert)\n(- assert 1)\n(assert 2)\n(let test 2)\n(test 3)\ndescribe"
    );
    // A sign after a space and before its operand starts an assertion.
    assert_eq!(sx("assert -x < 0"), r#"(__assert_compare "<" (- x) 0 "assert -x < 0")"#);
    // In any block, and after `=`.
    assert_eq!(
        sx("fn check(x) = assert x > 0\nlet f = fn m -> refute_receive ^m end"),
        r#"(defn check (x) (__assert_compare ">" x 0 "assert x > 0"))
(let f (fn [m -> (receive [(as ^m assert$value) -> (__refute_receive_failed "refute_receive ^m" assert$value 100)] after 100 -> :false)]))"#
    );
}

#[test]
fn tests_become_functions_and_a_manifest() {
    let out = parse("fn helper() = 1\ndescribe(\"math\") do\n  test(\"adds\") do\n    assert 1 + 1 == 2\n  end\n\n  test(\"slow\", timeout: 50) do\n    helper()\n  end\nend\ntest(\"alone\", timeout: :infinity) do\nend\n");
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(
        items(&out),
        r#"(defn helper () 1)
(defn <test 1> () (__assert_compare "==" (+ 1 1) 2 "assert 1 + 1 == 2"))
(defn <test 2> () (helper))
(defn <test 3> () )"#
    );
    let tests: Vec<(String, String, ast::TestTimeout, bool)> =
        out.program.tests.iter().map(|t| (t.name.clone(), t.function.clone(), t.timeout, t.describe.is_some())).collect();
    assert_eq!(
        tests,
        vec![
            ("math: adds".to_string(), "<test 1>".to_string(), ast::TestTimeout::Default, true),
            ("math: slow".to_string(), "<test 2>".to_string(), ast::TestTimeout::Ms(50), true),
            ("alone".to_string(), "<test 3>".to_string(), ast::TestTimeout::Infinity, false),
        ]
    );
}

#[test]
fn misused_tests_are_reported() {
    assert_eq!(errors("fn f() do\n  test(\"x\") do\n    1\n  end\nend"), vec!["a `test` block belongs at the top level"]);
    assert_eq!(
        errors("describe(\"a\") do\n  describe(\"b\") do\n    test(\"x\") do\n    end\n  end\n  fn f() = 1\nend"),
        vec!["`describe` blocks do not nest", "a `describe` block holds `test` blocks only"]
    );
    assert_eq!(errors("test(\"x\") do\nend\ntest(\"x\") do\nend"), vec!["the test `x` is defined twice"]);
    assert_eq!(errors("test(\"a ${b}\") do\nend"), vec!["a test's name is fixed text"]);
    assert_eq!(errors("test(:a) do\nend"), vec!["a test's name is a string"]);
    assert_eq!(errors("test() do\nend"), vec!["a test needs a name"]);
    assert_eq!(
        errors("test(\"a\", timeout: t, tags: 1) do\nend"),
        vec!["a test's timeout is a number of milliseconds", "unknown test option `tags:`"]
    );
}

#[test]
fn unfinished_tests_and_assertions_are_incomplete() {
    for src in ["test(\"x\") do\n", "describe(\"d\") do\n  test(\"x\") do\n    assert 1 ==", "assert_receive (:a,", "assert_receive(:a, "] {
        let out = parse(src);
        assert!(out.incomplete, "{src:?}: {:?}", out.diagnostics);
    }
}
