%% N sequential gen_server:call round trips from one client: the peer of
%% bench/snow/service_calls.snow. Prints calls=N last=N calls_us=... .
-module(service_calls).
-behaviour(gen_server).
-export([main/0, main/1, init/1, handle_call/3, handle_cast/2]).

init(N) -> {ok, N}.
handle_call(bump, _From, N) -> {reply, N + 1, N + 1}.
handle_cast(_, N) -> {noreply, N}.

calls(_, 0, Last) -> Last;
calls(S, K, _) -> calls(S, K - 1, gen_server:call(S, bump)).

main() -> main(["100000"]).
main([A]) ->
    N = list_to_integer(atom_or_list(A)),
    {ok, S} = gen_server:start(?MODULE, 0, []),
    T0 = erlang:monotonic_time(microsecond),
    Last = calls(S, N, 0),
    T1 = erlang:monotonic_time(microsecond),
    io:format("calls=~p last=~p calls_us=~p us_per_call=~.3f~n", [N, Last, T1 - T0, (T1 - T0) / N]),
    halt(0).

atom_or_list(A) when is_atom(A) -> atom_to_list(A);
atom_or_list(L) -> L.
