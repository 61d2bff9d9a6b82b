namespace Transfer.Models;

/// <summary>What the saved ML.NET model takes as input.</summary>
public enum ScoringInput
{
    /// <summary>A text column <c>ImagePath</c> with the image file's path (ML.NET <c>LoadImages</c> reads it). The default.</summary>
    ImagePath,

    /// <summary>An image column <c>Image</c> of type <c>MLImage</c>; create it from bytes or a stream with <c>MLImage.CreateFromStream</c>.</summary>
    Image,
}
