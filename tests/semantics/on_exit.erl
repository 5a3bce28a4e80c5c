-module(on_exit).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

%% What Process.on_exit promises an observer, emulated: the last words go
%% out from the ending process, then it ends with the same reason.
watch(Title, LastWords, Ending) ->
    p(Title),
    Me = self(),
    {P, R} = spawn_monitor(fun() ->
                                   Me ! installed,
                                   receive go -> ok end,
                                   Me ! {last_words, LastWords},
                                   Ending()
                           end),
    receive installed -> ok end,
    P ! go,
    collect(R, 2).

collect(_, 0) -> ok;
collect(R, N) ->
    receive
        {last_words, X} -> pf("  last words: ~s", [fmt(X)]);
        {'DOWN', R, _, _, X} -> pf("  down: ~s", [fmt(X)]);
        {'EXIT', _, X} -> pf("  exit: ~s", [fmt(X)])
    end,
    collect(R, N - 1).

%% A process ended by an exit signal: trap it, say the last words, end.
last_words_on_signal(Me) ->
    process_flag(trap_exit, true),
    Me ! installed,
    receive {'EXIT', _, Reason} -> Me ! {last_words, Reason}, exit(Reason) end.

main() ->
    watch(<<"returns">>, normal, fun() -> done end),
    watch(<<"exit(:bye)">>, bye, fun() -> exit(bye) end),
    watch(<<"raise">>, {error, <<"boom">>}, fun() -> error(<<"boom">>) end),
    watch(<<"1 / 0">>, {error, badarith}, fun() -> error(badarith) end),
    p(<<"Process.exit(p, :shutdown)">>),
    Me = self(),
    {P, R} = spawn_monitor(fun() -> last_words_on_signal(Me) end),
    receive installed -> ok end,
    exit(P, shutdown),
    collect(R, 2),
    p(<<"linked partner dies with :crash">>),
    process_flag(trap_exit, true),
    Partner = spawn(fun() -> receive crash -> exit(crash) end end),
    _Q = spawn_link(fun() -> link(Partner), last_words_on_signal(Me) end),
    receive installed -> ok end,
    Partner ! crash,
    collect(none, 2).
