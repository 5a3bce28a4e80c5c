-module(selective_receive).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

drain(Acc) ->
    receive M -> drain([M | Acc])
    after 0 -> lists:reverse(Acc)
    end.

main() ->
    Me = self(),
    Me ! {a, 1}, Me ! {b, 2}, Me ! {a, 3}, Me ! {c, 4}, Me ! {b, 5},
    receive {b, N1} -> pf("first :b is ~s", [N1]) end,
    receive
        {c, N2} -> pf("got :c ~s", [N2]);
        {a, N2} -> pf("got :a ~s", [N2])
    end,
    receive
        {_X, N3} when N3 > 100 -> pf("guard clause ~s", [N3]);
        {a, N3} -> pf("second clause (:a, ~s)", [N3]);
        {_, N3} -> pf("catch-all ~s", [N3])
    end,
    receive {z, _} -> p(<<"BUG">>)
    after 0 -> p(<<"after 0: no (:z, _)">>)
    end,
    pf("left, in order: ~s", [fmt(drain([]))]),
    spawn(fun() -> timer:sleep(50), Me ! late end),
    receive late -> p(<<"late message arrived before the timeout">>)
    after 2000 -> p(<<"BUG: timeout">>)
    end,
    spawn(fun() -> Me ! noise end),
    receive never -> p(<<"BUG">>)
    after 100 -> pf("timed out; noise still queued: ~s", [fmt(drain([]))])
    end,
    Tag = 7,
    [Me ! {reply, N, N * 10} || N <- [5, 7, 9]],
    receive {reply, Tag, V} -> pf("pinned ~s: ~s", [Tag, V]) end,
    pf("rest: ~s", [fmt(drain([]))]).
