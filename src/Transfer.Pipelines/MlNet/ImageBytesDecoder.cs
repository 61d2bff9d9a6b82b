using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Image;
using Transfer.Images;

namespace Transfer.Pipelines.MlNet;

/// <summary>
/// The one step of a <see cref="TransferImageClassificationTransformer"/> that ML.NET has no built-in transform for:
/// encoded image bytes (a <c>VarVector&lt;Byte&gt;</c> column, as <c>LoadRawImageBytes</c> makes) → <see cref="MLImage"/>.
/// It is an ML.NET <c>CustomMapping</c> found by its contract name, so a saved model loads with
/// <c>mlContext.Model.Load</c> wherever Transfer.Pipelines.dll is deployed beside the app (ML.NET finds the factory
/// itself; no <c>ComponentCatalog.RegisterAssembly</c> call is needed, which the fresh-process test checks).
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class ImageBytesDecoder : CustomMappingFactory<ImageBytesDecoder.Encoded, ImageBytesDecoder.Decoded>
{
    /// <summary>The contract name stored in saved models. Never change it: saved models name it.</summary>
    public const string ContractName = "Transfer.DecodeImageBytes.v1";

    /// <summary>The column the decoder reads (a copy of the user's image-bytes column).</summary>
    public const string BytesColumn = nameof(Encoded.TransferImageBytes);

    /// <summary>The column the decoder writes.</summary>
    public const string ImageColumn = nameof(Decoded.TransferImage);

    /// <inheritdoc />
    public override Action<Encoded, Decoded> GetMapping() => Decode;

    private static void Decode(Encoded input, Decoded output)
    {
        byte[] bytes = input.TransferImageBytes;
        if (bytes is null || bytes.Length == 0)
        {
            throw new InvalidImageException("image bytes column", "the row holds no bytes (LoadRawImageBytes gives an empty vector when a file is missing or empty). Remove the row or fix the file.");
        }

        // The previous row's image is done with (as ML.NET's LoadImages disposes its previous image).
        output.TransferImage?.Dispose();
        output.TransferImage = null;
        try
        {
            output.TransferImage = MLImage.CreateFromStream(new MemoryStream(bytes, writable: false));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or IOException)
        {
            throw new InvalidImageException("image bytes column", $"{bytes.Length} bytes that are not a decodable image (starts with {Convert.ToHexString(bytes, 0, Math.Min(8, bytes.Length))}): {e.Message} Pass PNG, JPEG, BMP, GIF or WebP bytes.", e);
        }
    }

    /// <summary>The decoder's input row.</summary>
    internal sealed class Encoded
    {
        /// <summary>Gets or sets the encoded image.</summary>
        public byte[] TransferImageBytes { get; set; } = [];
    }

    /// <summary>The decoder's output row.</summary>
    internal sealed class Decoded
    {
        /// <summary>Gets or sets the decoded image (its size is known only per row, hence 1 × 1 in the type).</summary>
        [ImageType(1, 1)]
        public MLImage? TransferImage { get; set; }
    }
}
