namespace ImageClassification.DataModels;

/// <summary>An image already read into memory: what an app passes to the prediction engine.</summary>
public class InMemoryImageData
{
    public InMemoryImageData(byte[] image, string label, string imageFileName)
    {
        Image = image;
        Label = label;
        ImageFileName = imageFileName;
    }

    public byte[] Image { get; }

    public string Label { get; }

    public string ImageFileName { get; }
}
