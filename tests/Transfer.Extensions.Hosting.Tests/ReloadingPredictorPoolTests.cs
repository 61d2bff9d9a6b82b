using Microsoft.Extensions.Options;

namespace Transfer.Hosting.Tests;

public sealed class ReloadingPredictorPoolTests
{
    [Fact]
    public void BadOptions_ListEveryProblemWithItsFix()
    {
        var options = Options.Create(new TransferPredictorOptions { ModelPath = "/no/such/model.zip", PoolSize = 0, IntraOpThreads = -1, ReloadPollInterval = TimeSpan.Zero });
        var e = Assert.Throws<OptionsValidationException>(() => new ReloadingPredictorPool(options));
        Assert.Equal(4, e.Failures.Count());
        Assert.Contains(e.Failures, f => f.Contains("Transfer:ModelPath \"/no/such/model.zip\" does not exist", StringComparison.Ordinal) && f.Contains("transfer train", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("PoolSize must be at least 1, was 0", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("IntraOpThreads", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("ReloadPollInterval must be positive", StringComparison.Ordinal));

        var empty = Assert.Throws<OptionsValidationException>(() => new ReloadingPredictorPool(Options.Create(new TransferPredictorOptions())));
        Assert.Contains("ModelPath is empty", Assert.Single(empty.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_SwapsTheModel_WhileRequestsInFlightFinishOnTheOldOne()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "model.zip");
        TinyModels.Save(path, classes: 2);
        using var pool = new ReloadingPredictorPool(Options.Create(new TransferPredictorOptions { ModelPath = path, PoolSize = 2 }));
        Assert.Equal(2, pool.Classes.Count);
        Assert.False(pool.ReloadIfChanged()); // unchanged file: nothing to do

        // A request holds a predictor of model #1 while the file is replaced and reloaded.
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var inFlight = Task.Run(() => pool.RunAsync(p =>
        {
            holding.Set();
            release.Wait();
            return p.Predict(TinyModels.Png(1)).Scores.Count;
        }));
        Assert.True(holding.Wait(TimeSpan.FromSeconds(30)));

        string next = Path.Combine(dir.Path, "next.zip");
        TinyModels.Save(next, classes: 3);
        File.Move(next, path, overwrite: true);
        Assert.True(pool.ReloadIfChanged());
        Assert.Equal(2, pool.Status.Generation);
        Assert.Equal(3, pool.Classes.Count);
        Assert.Equal(3, (await pool.PredictAsync(TinyModels.Png(3))).Scores.Count); // new requests: the new model

        release.Set();
        Assert.Equal(2, await inFlight); // the old request finished on the old model, which was not disposed under it
    }

    [Fact]
    public async Task DamagedFile_KeepsTheOldModelServing_AndSaysWhy()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "model.zip");
        TinyModels.Save(path, classes: 2);
        using var pool = new ReloadingPredictorPool(Options.Create(new TransferPredictorOptions { ModelPath = path }));
        await File.WriteAllTextAsync(path, "not a zip");
        var signature = pool.ReadSignature();
        Assert.False(pool.ReloadIfChanged(signature));
        Assert.Equal(1, pool.Status.Generation);
        Assert.Contains("still serves", pool.Status.LastError, StringComparison.Ordinal);
        Assert.Equal(2, (await pool.PredictAsync(TinyModels.Png(1))).Scores.Count);
        Assert.False(pool.ReloadIfChanged(signature)); // the same damaged file is not tried again

        TinyModels.Save(path, classes: 3);
        Assert.True(pool.ReloadIfChanged());
        Assert.Null(pool.Status.LastError);
    }

    [Fact]
    public void ChangingFile_IsLoadedOnlyOnceItHoldsStill()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "model.zip");
        TinyModels.Save(path, classes: 2);
        using var pool = new ReloadingPredictorPool(Options.Create(new TransferPredictorOptions { ModelPath = path }));
        var before = pool.ReadSignature();
        TinyModels.Save(path, classes: 3);
        Assert.False(pool.ReloadIfChanged(before)); // changed since the previous check: wait one more interval
        Assert.True(pool.ReloadIfChanged(pool.ReadSignature()));
    }
}
