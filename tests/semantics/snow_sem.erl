%% Helper for the Erlang side of tests/semantics (not a scenario: it has no
%% .snow twin). It prints Erlang terms the way Snow's `println`/`inspect` show
%% Snow values, so both sides of a scenario can print the same lines:
%%
%%   {a, b} -> (:a, :b)     {x} -> (x,)      [1, 2] -> [1, 2]
%%   ok -> :ok    true/false/nil -> true/false/nil    'a@b' -> :"a@b"
%%   'Counter' -> Counter (an atom that looks like a module name, bare)
%%   <<"text">> -> "text" (a Snow string; printed raw at the top level)
%%
%% Runtime-error exit reasons are the one thing that legitimately differs:
%% Erlang's are {Detail, Stacktrace}, Snow's are (:error, Detail). `fmt/1`
%% shows any {Detail, Stacktrace} as (:error, Detail). Pids, references and
%% funs are refused: a scenario must never print them.
-module(snow_sem).
-export([run/1, p/1, pf/2, fmt/1, show/1, reason/1, where/1]).

%% Runs Mod:main() in a fresh process, as `snow run` runs a script's top
%% level, and stops the VM when it ends (other processes are not waited for).
run(Mod) ->
    %% Crash reports would go to stdout; Snow writes its own to stderr.
    logger:set_primary_config(level, none),
    {Pid, Ref} = spawn_monitor(Mod, main, []),
    receive {'DOWN', Ref, process, Pid, _} -> ok end,
    erlang:halt(0).

%% println(X)
p(X) -> io:put_chars([show(X), $\n]).

%% println("... ${a} ... ${b}") is pf("... ~s ... ~s", [A, B]).
pf(Fmt, Args) -> io:put_chars([io_lib:format(Fmt, [show(A) || A <- Args]), $\n]).

%% What `${x}` and println show: a string raw, anything else inspected.
show(B) when is_binary(B) -> B;
show(X) -> fmt(X).

%% Process.whereis: nil, not undefined, when absent.
where(Name) ->
    case erlang:whereis(Name) of
        undefined -> nil;
        Pid -> Pid
    end.

reason({R, [{M, F, A, L} | _]}) when is_atom(M), is_atom(F), (is_integer(A) orelse is_list(A)), is_list(L) ->
    {error, R};
reason(R) -> R.

%% inspect(X), as a binary (so that show/1 prints it raw).
fmt(X) -> unicode:characters_to_binary(f(reason(X))).

f(I) when is_integer(I) -> integer_to_list(I);
f(true) -> "true";
f(false) -> "false";
f(nil) -> "nil";
f(A) when is_atom(A) ->
    S = atom_to_list(A),
    case {module_name(S), plain(S)} of
        {true, _} -> S;
        {false, true} -> [$: | S];
        {false, false} -> [$: | str(S)]
    end;
f(B) when is_binary(B) -> str(unicode:characters_to_list(B));
f(T) when is_tuple(T) ->
    case tuple_to_list(T) of
        [One] -> ["(", fmt(One), ",)"];
        L -> ["(", join([fmt(E) || E <- L]), ")"]
    end;
f(L) when is_list(L) -> ["[", join([fmt(E) || E <- L]), "]"];
f(X) -> error({unprintable, X}).

join([]) -> [];
join([H | T]) -> [H | [[", ", E] || E <- T]].

str(S) -> [$", [esc(C) || C <- S], $"].
esc($") -> "\\\"";
esc($\\) -> "\\\\";
esc($\n) -> "\\n";
esc($\t) -> "\\t";
esc(C) -> C.

%% Snow's Atom::is_module_name: a capital ASCII letter, then ASCII letters,
%% digits and _; such an atom (Counter, 'Job') prints bare, as a module.
module_name([C | Rest]) when C >= $A, C =< $Z ->
    lists:all(fun(Ch) -> (Ch >= $a andalso Ch =< $z) orelse (Ch >= $A andalso Ch =< $Z)
                             orelse (Ch >= $0 andalso Ch =< $9) orelse Ch =:= $_ end, Rest);
module_name(_) -> false.

%% Snow's Atom::is_plain: [A-Za-z_][A-Za-z0-9_]* with at most one ? or ! at the end.
plain([C | Rest]) when (C >= $a andalso C =< $z) orelse (C >= $A andalso C =< $Z) orelse C =:= $_ ->
    Body = string:trim(Rest, trailing, "?!"),
    lists:all(fun(Ch) -> (Ch >= $a andalso Ch =< $z) orelse (Ch >= $A andalso Ch =< $Z)
                             orelse (Ch >= $0 andalso Ch =< $9) orelse Ch =:= $_ end, Body)
        andalso length(Rest) - length(Body) =< 1;
plain(_) -> false.
