namespace Transfer.Heads.Neural;

/// <summary>
/// Splits a loop over independent items into contiguous chunks run on at most a given number of threads.
/// Each item is computed by one thread in a fixed order, so results do not depend on the thread count.
/// </summary>
internal static class ParallelRows
{
    /// <summary>Below this many multiply-adds a loop runs on the calling thread: scheduling would cost more.</summary>
    private const long MinimumParallelWork = 1 << 17;

    public static void For<TState>(int count, long workPerItem, int maxThreads, TState state, Action<TState, int, int> body)
    {
        int chunks = (int)Math.Min(Math.Min(maxThreads, count), Math.Max(1, count * workPerItem / MinimumParallelWork));
        if (chunks <= 1)
        {
            body(state, 0, count);
            return;
        }

        Parallel.For(
            0,
            chunks,
            new ParallelOptions { MaxDegreeOfParallelism = chunks },
            chunk => body(state, (int)((long)chunk * count / chunks), (int)((long)(chunk + 1) * count / chunks)));
    }
}
