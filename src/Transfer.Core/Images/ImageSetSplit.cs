namespace Transfer.Images;

/// <summary>A stratified split of an <see cref="ImageSet"/> into train, validation and test sets.</summary>
/// <param name="Train">The training images.</param>
/// <param name="Validation">The validation images (empty when no validation fraction was asked for).</param>
/// <param name="Test">The test images (empty when no test fraction was asked for).</param>
public sealed record ImageSetSplit(ImageSet Train, ImageSet Validation, ImageSet Test);
