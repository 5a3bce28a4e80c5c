%% OTP's supervisor restarting N crashing children one after another: the
%% peer of bench/snow/supervisor_restarts.snow. The logger prints each
%% restart's reports, as a user would see them (to a pipe here).
-module(supervisor_restarts).
-behaviour(supervisor).
-export([main/0, main/1, init/1, start_worker/1, worker/1]).

init(Main) ->
    {ok, {#{strategy => one_for_one, intensity => 100000000, period => 1},
          [#{id => worker, start => {?MODULE, start_worker, [Main]}, restart => permanent}]}}.

start_worker(Main) -> {ok, spawn_link(?MODULE, worker, [Main])}.

worker(Main) ->
    Main ! {started, self()},
    receive crash -> exit(crash) end.

restarts(0) -> ok;
restarts(K) ->
    receive {started, W} -> W ! crash end,
    restarts(K - 1).

main() -> main(["10000"]).
main([A]) ->
    N = list_to_integer(if is_atom(A) -> atom_to_list(A); true -> A end),
    T0 = erlang:monotonic_time(microsecond),
    {ok, Sup} = supervisor:start_link(?MODULE, self()),
    restarts(N),
    receive {started, _} -> ok end,
    T1 = erlang:monotonic_time(microsecond),
    io:format("restarts=~p alive=~p restarts_us=~p~n", [N, is_process_alive(Sup), T1 - T0]),
    halt(0).
