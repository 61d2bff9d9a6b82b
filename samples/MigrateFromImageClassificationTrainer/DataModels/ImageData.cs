namespace ImageClassification.DataModels;

/// <summary>An image file and its label, as the training program lists them.</summary>
public class ImageData
{
    public ImageData(string imagePath, string label)
    {
        ImagePath = imagePath;
        Label = label;
    }

    public string ImagePath { get; }

    public string Label { get; }
}
