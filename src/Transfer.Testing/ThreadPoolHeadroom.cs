using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Transfer.Testing;

/// <summary>
/// Raises the thread pool's minimum worker count to cores + 4 when Transfer.Testing loads. A test host keeps some pool
/// threads blocked (its own messaging, the test runner, a test blocked on a synchronous call), and ML.NET's model
/// writer waits on a pool thread inside <c>TransferModel.Save</c> (its <c>BinarySaver</c> completes through
/// <c>Task.WhenAll</c>). With the pool at its default minimum (one thread per core) the pool then adds a thread only
/// after its starvation delay, about half a second each time: on two cores the README example's save took 0.9 s
/// instead of 0.1 s. The minimum is only raised, never lowered, and only in processes that load this test package.
/// </summary>
internal static class ThreadPoolHeadroom
{
    /// <summary>Pool threads kept ready beyond one per core.</summary>
    internal const int ExtraThreads = 4;

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "A test-only package: the headroom must exist before the first test saves a model, whichever Transfer.Testing type it touches first.")]
    internal static void Ensure()
    {
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        int wanted = Environment.ProcessorCount + ExtraThreads;
        if (workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, completionPorts);
        }
    }
}
