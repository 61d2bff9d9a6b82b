using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;
using Transfer.Models;

namespace Transfer.Tests;

/// <summary>
/// Scores an exported ONNX file as a user outside .NET would: ONNX Runtime alone, fed RGB uint8 pixels that SkiaSharp's
/// codec decodes here directly (not Transfer's <c>ImageDecoder</c>, which writes planar float planes for the backbone).
/// Shared source: the Core tests (tiny backbone) and the CLI tests (ResNet18) compile it.
/// </summary>
internal sealed class OnnxExportScorer : IDisposable
{
    private readonly InferenceSession _session;

    public OnnxExportScorer(byte[] onnx)
    {
        _session = new InferenceSession(onnx);
        Metadata = _session.ModelMetadata.CustomMetadataMap;
    }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Decodes an encoded image to RGB bytes [H, W, 3], unpremultiplied, as an image library would hand them over.</summary>
    public static (byte[] Rgb, int Width, int Height) DecodeRgb(byte[] encoded, int? compositeOn = null)
    {
        using var codec = SKCodec.Create(new MemoryStream(encoded)) ?? throw new InvalidOperationException("not an image");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        Assert.Equal(SKCodecResult.Success, result);
        var rgba = bitmap.GetPixelSpan();
        var rgb = new byte[info.Width * info.Height * 3];
        int background = compositeOn ?? 0;
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            // Opaque pixels as they are; others over the background (the caller's part of the export's input contract).
            float alpha = compositeOn is null ? 1f : rgba[j + 3] / 255f;
            for (int c = 0; c < 3; c++)
            {
                int under = (background >> (16 - (8 * c))) & 0xFF;
                rgb[i + c] = (byte)Math.Round((rgba[j + c] * alpha) + (under * (1f - alpha)));
            }
        }

        return (rgb, info.Width, info.Height);
    }

    /// <summary>Scores one encoded image: the probabilities and the label the graph outputs.</summary>
    public (float[] Probabilities, string Label) Score(byte[] encoded, int? compositeOn = null)
    {
        var (rgb, width, height) = DecodeRgb(encoded, compositeOn);
        var input = new DenseTensor<byte>(rgb, [1, height, width, 3]);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(TransferModelExport.ImageInput, input)]);
        var probabilities = results.First(r => r.Name == TransferModelExport.ProbabilitiesOutput).AsTensor<float>().ToArray();
        var label = results.First(r => r.Name == TransferModelExport.LabelOutput).AsTensor<string>().ToArray();
        return (probabilities, Assert.Single(label));
    }

    public void Dispose() => _session.Dispose();
}
