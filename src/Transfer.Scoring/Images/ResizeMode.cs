namespace Transfer.Images;

/// <summary>How an image is brought to the backbone's input size. Each mode is one of ML.NET's <c>ResizeImages</c> modes, so a saved model resizes exactly as training did.</summary>
public enum ResizeMode
{
    /// <summary>Stretch to the input size with nearest-neighbour sampling (ML.NET <c>ResizingKind.Fill</c>; what <c>DnnFeaturizeImage</c> pipelines use). Bit-compatible with ML.NET's path.</summary>
    Stretch,

    /// <summary>Scale the shorter side to the input size with high-quality (mip-mapped, cubic) filtering and crop the centre (ML.NET <c>ResizingKind.IsoCrop</c>, anchor centre). Keeps the aspect ratio.</summary>
    CenterCrop,

    /// <summary>Scale the longer side to the input size with high-quality filtering and pad with black (ML.NET <c>ResizingKind.IsoPad</c>).</summary>
    Pad,
}
