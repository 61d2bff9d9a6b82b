using Transfer.Images;
using Transfer.Models;
using Transfer.Pipelines;

namespace Transfer.Samples.Tests;

/// <summary>
/// One small model for all sample tests, trained once with the real ResNet18 on 20 embedded QuickStart images per class
/// (10 classes), saved to a temp zip; the web service is started on first use and stopped at the end.
/// </summary>
public sealed class SamplesFixture : IAsyncLifetime
{
    public const long MaxUploadBytes = 64 * 1024;

    public const int PoolSize = 2;

    private readonly Lazy<Task<WebServiceHost>> _service;

    public SamplesFixture() =>
        _service = new(() => WebServiceHost.StartAsync(ModelPath, MaxUploadBytes, PoolSize), LazyThreadSafetyMode.ExecutionAndPublication);

    public string Directory { get; } = TestData.NewTempDirectory("transfer-samples-tests");

    public string ModelPath => Path.Combine(Directory, "fashion.zip");

    public IReadOnlyList<string> Classes { get; private set; } = [];

    /// <summary>Test images (two per class, not trained on) and what an in-process <see cref="Predictor"/> says about each.</summary>
    public IReadOnlyList<(string Label, string Path, Prediction Expected)> Images { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var train = ImageSet.FromDirectory(TestData.QuickStartTrain);
        var subset = ImageSet.FromEntries(train.Entries.GroupBy(e => e.Label).SelectMany(g => g.Take(20)), train.Classes);
        using (var result = await TransferPipeline.For(subset).WithBackbone(global::Transfer.Backbones.Backbones.ResNet18).WithoutBottleneckCache().TestFraction(0).Build().RunAsync())
        {
            result.Model.Save(ModelPath);
        }

        using var model = TransferModel.Load(ModelPath);
        using var predictor = model.CreatePredictor();
        Classes = model.Classes;
        Images = TestData.FirstImages(TestData.QuickStartTest, 2).Select(i => (i.Label, i.Path, predictor.Predict(i.Path, top: 3))).ToList();
    }

    /// <summary>The running web service (started on first call).</summary>
    internal Task<WebServiceHost> ServiceAsync() => _service.Value;

    public async Task DisposeAsync()
    {
        if (_service.IsValueCreated && _service.Value.IsCompletedSuccessfully)
        {
            await (await _service.Value).DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held; the temp folder is cleaned by the OS.
        }
    }
}

/// <summary>The tests that share <see cref="SamplesFixture"/>'s model (and so run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class SamplesGroup : ICollectionFixture<SamplesFixture>
{
    public const string Name = "Samples";
}
