using System.Runtime.ExceptionServices;

namespace Transfer.Featurization;

/// <summary><see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/> that rethrows the first failure as itself, not wrapped in an <see cref="AggregateException"/>.</summary>
internal static class ParallelRunner
{
    public static void For(int count, ParallelOptions options, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, options, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            var first = e.InnerExceptions.OrderBy(x => x is OperationCanceledException ? 1 : 0).First();
            ExceptionDispatchInfo.Capture(first).Throw();
        }
    }
}
