-module(link_chain).
-export([main/0]).
-import(snow_sem, [p/1, pf/2, fmt/1]).

c_proc() ->
    receive {die, Reason} -> exit(Reason) end.

b_proc(A) ->
    C = spawn(fun c_proc/0),
    link(C),
    A ! {c_is, C},
    receive never -> ok end.

a_proc(Main, Reason) ->
    process_flag(trap_exit, true),
    Self = self(),
    B = spawn_link(fun() -> b_proc(Self) end),
    C = receive {c_is, C0} -> C0 end,
    RB = monitor(process, B),
    C ! {die, Reason},
    receive {'EXIT', P, R} -> Main ! {a_got_exit, P == B, R} end,
    receive {'DOWN', RB, _, _, R2} -> Main ! {b_down, R2} end,
    Main ! {a_alive, is_process_alive(self())},
    receive M -> Main ! {a_then, M}
    after 50 -> Main ! a_nothing_more
    end.

run(Reason) ->
    pf("C exits with ~s", [fmt(Reason)]),
    Self = self(),
    spawn(fun() -> a_proc(Self, Reason) end),
    [receive M -> p(M) end || _ <- [1, 2, 3, 4]].

a_normal(Main) ->
    process_flag(trap_exit, true),
    Self = self(),
    B = spawn_link(fun() -> b_proc(Self) end),
    C = receive {c_is, C0} -> C0 end,
    RC = monitor(process, C),
    C ! {die, normal},
    receive {'DOWN', RC, _, _, R} -> Main ! {c_down, R} end,
    receive M -> Main ! {unexpected, M}
    after 50 -> Main ! {b_alive, is_process_alive(B)}
    end,
    exit(B, stop),
    receive {'EXIT', P, R2} -> Main ! {a_got_exit, P == B, R2} end.

main() ->
    run(crash),
    run(killed),
    p(<<"C exits with :normal">>),
    Self = self(),
    spawn(fun() -> a_normal(Self) end),
    [receive M -> p(M) end || _ <- [1, 2, 3]].
