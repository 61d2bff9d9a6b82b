using System.Buffers.Binary;
using System.IO.Compression;
using Transfer.Featurization;
using Transfer.Heads.Neural;
using Xunit.Abstractions;

namespace Transfer.Core.Tests.Heads.Neural;

/// <summary>Runs only where the Debian package <c>dataset-fashion-mnist</c> is installed (<c>apt-get install -y dataset-fashion-mnist</c>).</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!FashionMnist.IsInstalled)
        {
            Skip = $"Fashion-MNIST not found under {FashionMnist.Folder}; install it with: apt-get install -y dataset-fashion-mnist";
        }
    }
}

/// <summary>Reads Fashion-MNIST's IDX gzip files, pixels scaled to [0, 1].</summary>
internal static class FashionMnist
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";

    public static bool IsInstalled =>
        File.Exists(Path.Combine(Folder, "train-images-idx3-ubyte.gz")) && File.Exists(Path.Combine(Folder, "t10k-labels-idx1-ubyte.gz"));

    public static FeatureMatrix Load(string set, int count)
    {
        byte[] images = Read(Path.Combine(Folder, $"{set}-images-idx3-ubyte.gz"));
        byte[] labels = Read(Path.Combine(Folder, $"{set}-labels-idx1-ubyte.gz"));
        Assert.Equal(2051, BinaryPrimitives.ReadInt32BigEndian(images));
        Assert.Equal(2049, BinaryPrimitives.ReadInt32BigEndian(labels));
        int pixels = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(8)) * BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(12));
        var values = new float[count * pixels];
        var classes = new int[count];
        for (int i = 0; i < count; i++)
        {
            for (int p = 0; p < pixels; p++)
            {
                values[(i * pixels) + p] = images[16 + (i * pixels) + p] / 255f;
            }

            classes[i] = labels[8 + i];
        }

        return new FeatureMatrix(values, count, pixels, classes, 10);
    }

    private static byte[] Read(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }
}

public class FashionMnistHeadTests(ITestOutputHelper output)
{
    [FashionMnistFact]
    public void SoftmaxAndMlpHeads_RawPixels5000_ReachPublishedLogisticRegressionLevel()
    {
        FeatureMatrix train = FashionMnist.Load("train", 5000);
        FeatureMatrix test = FashionMnist.Load("t10k", 2000);

        var softmaxOptions = new NeuralHeadOptions { Epochs = 12, Seed = 1 };
        TrainedNeuralHead softmax = new SoftmaxHead(softmaxOptions).TrainedOn(train);
        double softmaxAccuracy = SyntheticFeatures.Accuracy(softmax, test);

        var mlpOptions = new NeuralHeadOptions { Epochs = 10, Seed = 1, HiddenLayers = [128], Schedule = new CosineDecaySchedule() };
        TrainedNeuralHead mlp = new MlpHead(mlpOptions).TrainedOn(train);
        double mlpAccuracy = SyntheticFeatures.Accuracy(mlp, test);

        output.WriteLine($"Fashion-MNIST raw pixels, 5,000 train / 2,000 test: softmax {softmaxAccuracy:F4} (best epoch {softmax.BestEpoch}/{softmax.History.Epochs.Count}), MLP [128] {mlpAccuracy:F4} (best epoch {mlp.BestEpoch}/{mlp.History.Epochs.Count})");
        Assert.True(softmaxAccuracy >= 0.80, $"softmax test accuracy {softmaxAccuracy}");
        Assert.True(mlpAccuracy >= 0.82, $"MLP test accuracy {mlpAccuracy}");
    }
}
