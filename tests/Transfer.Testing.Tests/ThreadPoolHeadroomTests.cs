namespace Transfer.Testing.Tests;

public sealed class ThreadPoolHeadroomTests
{
    [Fact]
    public void LoadingTransferTesting_RaisesThePoolMinimumToCoresPlusFour()
    {
        _ = TinyBackbone.Default; // any Transfer.Testing type loads the assembly and runs its module initializer
        ThreadPool.GetMinThreads(out int workers, out _);
        Assert.True(workers >= Environment.ProcessorCount + 4, $"min worker threads {workers}, cores {Environment.ProcessorCount}");
    }
}
