namespace Backprop.Data;

/// <summary>Reads the course's <c>mnist.pkl.gz</c> (a Python 2 protocol-2 pickle of numpy arrays).</summary>
public static class MnistPickle
{
    /// <summary>Loads the pickle at <paramref name="path"/> into the course's splits.</summary>
    public static Mnist Load(string path) =>
        throw new DataFileException(path, "reading mnist.pkl.gz is not implemented yet; use the IDX files in data/mnist/");
}
