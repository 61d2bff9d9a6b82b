using Google.Protobuf;
using Onnx;
using Transfer.Backbones;
using Transfer.Backbones.Quantization;
using Transfer.Core.Tests.Backbones;
using Transfer.FineTuning;

namespace Transfer.Core.Tests.FineTuning;

/// <summary>Cutting a backbone below its top residual blocks, and writing tuned weights back, on a small ResNet.</summary>
public sealed class BackboneSplitTests
{
    private const int Images = 3;

    [Fact]
    public void Cut_LastStage_TakesBothBlocksOfTheLastStage()
    {
        var split = BackboneSplit.Cut(TinyResNet.MultiStage, TunedLayers.LastStage);

        Assert.Equal(2, split.Blocks.Count);
        Assert.Equal(new ConvolutionLayer(4, 6, 3, 2, new Pads4(1, 1, 0, 0)), split.Blocks[0].First);
        Assert.Equal(new ConvolutionLayer(4, 6, 1, 2, default), split.Blocks[0].Shortcut);
        Assert.Null(split.Blocks[1].Shortcut);
        Assert.Equal((4, 8, 8, 4), (split.InputChannels, split.InputHeight, split.InputWidth, split.FrozenLength));
        Assert.Equal((4 * 8 * 8) + 4, split.Trunk.FeatureLength);
        Assert.Equal((4 * 6 * 9) + 6 + (6 * 6 * 9) + 6 + (4 * 6) + 6 + (2 * ((6 * 6 * 9) + 6)), split.ParameterCount);
    }

    [Fact]
    public void Cut_LastBlock_TakesOnlyTheIdentityBlock()
    {
        var split = BackboneSplit.Cut(TinyResNet.Plain, TunedLayers.LastBlock);

        Assert.Single(split.Blocks);
        Assert.Null(split.Blocks[0].Shortcut);
        Assert.Equal((6, 4, 4, 0), (split.InputChannels, split.InputHeight, split.InputWidth, split.FrozenLength));
    }

    [Theory]
    [InlineData(false, TunedLayers.LastStage)]
    [InlineData(true, TunedLayers.LastStage)]
    [InlineData(true, TunedLayers.LastBlock)]
    public void TrunkThenTrainingGraph_AtStepZero_EqualsTheFrozenBackbonesFeatures(bool multiStage, TunedLayers layers)
    {
        var backbone = multiStage ? TinyResNet.MultiStage : TinyResNet.Plain;
        var split = BackboneSplit.Cut(backbone, layers);
        var pixels = FeatureGraphRunner.Pixels(4, Images, TinyResNet.Size, TinyResNet.Size);

        var frozen = FeatureGraphRunner.Run(backbone.BuildFeaturizerModel(), pixels, Images, TinyResNet.Size, TinyResNet.Size);
        var tuned = TunedFeatures(split, pixels, split.InitialParameters());

        AssertClose(frozen, tuned, 1e-5);
    }

    [Fact]
    public void WithWeights_ChangedWeights_BackboneComputesWhatTheTrainingGraphComputes()
    {
        var split = BackboneSplit.Cut(TinyResNet.MultiStage, TunedLayers.LastStage);
        var parameters = split.InitialParameters();
        var random = new Random(9);
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] += (float)((random.NextDouble() - 0.5) * 0.2);
        }

        var tuned = split.WithWeights(parameters);
        var pixels = FeatureGraphRunner.Pixels(5, Images, TinyResNet.Size, TinyResNet.Size);
        var features = FeatureGraphRunner.Run(tuned.BuildFeaturizerModel(), pixels, Images, TinyResNet.Size, TinyResNet.Size);
        var before = FeatureGraphRunner.Run(TinyResNet.MultiStage.BuildFeaturizerModel(), pixels, Images, TinyResNet.Size, TinyResNet.Size);

        AssertClose(TunedFeatures(split, pixels, parameters), features, 1e-5);
        Assert.True(features.Zip(before).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "the tuned weights change the features");
        Assert.Equal("TinyResNet-MS-ft", tuned.Name);
        Assert.NotEqual(TinyResNet.MultiStage.Fingerprint, tuned.Fingerprint);
        Assert.NotEqual(TinyResNet.MultiStage.FeatureSpaceKey(Transfer.Images.ImagePreprocessing.Default), tuned.FeatureSpaceKey(Transfer.Images.ImagePreprocessing.Default));
    }

    [Fact]
    public void WithWeights_FrozenLayers_StayBitIdentical()
    {
        var split = BackboneSplit.Cut(TinyResNet.MultiStage, TunedLayers.LastStage);
        var parameters = split.InitialParameters();
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] *= 1.5f;
        }

        var tuned = split.WithWeights(parameters).LoadSourceModel().Graph.Initializer.ToDictionary(t => t.Name);
        var folded = BatchNormFolding.Fold(TinyResNet.MultiStage.LoadSourceModel()).Model.Graph.Initializer.ToDictionary(t => t.Name);

        Assert.Equal(folded.Keys.Order(), tuned.Keys.Order());
        string[] tunedConvolutions = ["b1", "b2", "bd", "c1", "c2"];
        foreach (var (name, tensor) in folded)
        {
            bool isTuned = tunedConvolutions.Any(c => name.StartsWith(c + "_", StringComparison.Ordinal));
            Assert.True(isTuned != tensor.Equals(tuned[name]), $"{name}: tuned {isTuned}, equal {tensor.Equals(tuned[name])}");
        }
    }

    [Fact]
    public void Cut_Int8Backbone_ThrowsSayingToTuneTheFloatOne()
    {
        var quantized = Backbone.FromQuantized(TinyResNet.Create().ToByteArray(), TinyResNet.Descriptor(), "test", new QuantizationReport { Settings = "s", SourceFingerprint = "f", CalibrationImages = 1, HeldOutImages = 0, BatchNormsFolded = 0, QuantizedConvs = 0, QuantizedTensors = 0, KeptFp32 = [] });
        var e = Assert.Throws<ArgumentException>(() => BackboneSplit.Cut(quantized, TunedLayers.LastStage));
        Assert.StartsWith("Backbone \"TinyResNet\" is int8; fine-tune the floating-point backbone, then quantize the result.", e.Message);
    }

    [Fact]
    public void Cut_NoResidualBlocks_ThrowsNamingWhatFeedsThePool()
    {
        var e = Assert.Throws<ArgumentException>(() => BackboneSplit.Cut(Transfer.Testing.TinyBackbone.Default, TunedLayers.LastStage));
        Assert.Contains("fine-tuning", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cut_PooledOutputInsideTheTunedStage_ThrowsSayingToTuneTheLastBlock()
    {
        var backbone = Backbone.FromBytes(TinyResNet.Create().ToByteArray(), TinyResNet.Descriptor() with { PooledOutputs = ["b_out"], FeatureLength = 12 });
        var e = Assert.Throws<NotSupportedException>(() => BackboneSplit.Cut(backbone, TunedLayers.LastStage));
        Assert.Equal("Backbone \"TinyResNet\": PooledOutputs names \"b_out\", which is computed inside the tuned blocks. Tune only the last block (TunedLayers.LastBlock), or pool an output below the tuned part.", e.Message);
    }

    /// <summary>The trunk featurizer graph, then the training graph's forward pass: the tuned model's features.</summary>
    internal static float[] TunedFeatures(BackboneSplit split, float[] pixels, float[] backboneParameters)
    {
        var trunk = FeatureGraphRunner.Run(split.Trunk.BuildFeaturizerModel(), pixels, Images, TinyResNet.Size, TinyResNet.Size);
        var network = split.Network(classes: 2);
        using var runner = new GraphRunner(TrainingGraph.Build(network, gradients: false));
        var inputs = new Dictionary<string, (double[] Values, long[] Dims)>
        {
            [TrainingGraph.TrunkInput] = ([.. trunk.Select(x => (double)x)], [Images, network.TrunkLength]),
            [TrainingGraph.TargetsInput] = (new double[Images * 2], [Images, 2]),
            [TrainingGraph.RowWeightsInput] = (new double[Images], [Images, 1]),
        };
        int offset = 0;
        foreach (var p in network.Parameters)
        {
            var values = p.IsBackbone ? backboneParameters.AsSpan(offset, p.Length).ToArray().Select(x => (double)x).ToArray() : new double[p.Length];
            offset += p.IsBackbone ? p.Length : 0;
            inputs[p.Name] = (values, p.Dims);
        }

        return [.. runner.Run(inputs, asFloat: true)[TrainingGraph.FeaturesOutput].Select(x => (float)x)];
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"feature {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
