using Microsoft.ML.OnnxRuntime;
using Transfer.Backbones;

namespace Transfer.Core.Tests.Backbones;

/// <summary>Runs a featurizer graph (Pixels [N, 4, H, W] → Features [N, D]) and makes deterministic pixels for it.</summary>
internal static class FeatureGraphRunner
{
    public static float[] Run(byte[] featurizerModel, float[] pixels, int count, int width, int height)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(featurizerModel, options);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [count, 4, height, width]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [BackboneGraph.PixelsName], [input], [BackboneGraph.FeaturesName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Opaque random A,R,G,B planes in 0–255 for <paramref name="count"/> images.</summary>
    public static float[] Pixels(int seed, int count, int width, int height)
    {
        var random = new Random(seed);
        int plane = width * height;
        var pixels = new float[count * 4 * plane];
        for (int i = 0; i < count; i++)
        {
            pixels.AsSpan(i * 4 * plane, plane).Fill(255f);
            for (int j = plane; j < 4 * plane; j++)
            {
                pixels[(i * 4 * plane) + j] = random.Next(256);
            }
        }

        return pixels;
    }

    /// <summary>Each image's planes mirrored left to right.</summary>
    public static float[] Mirror(float[] pixels, int width)
    {
        var mirrored = new float[pixels.Length];
        for (int row = 0; row < pixels.Length / width; row++)
        {
            for (int x = 0; x < width; x++)
            {
                mirrored[(row * width) + x] = pixels[(row * width) + width - 1 - x];
            }
        }

        return mirrored;
    }

    public static float Norm(ReadOnlySpan<float> values) => MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(values));
}
