using Backprop.Data;

namespace Backprop.Tests.Data;

public sealed class MnistTests
{
    [Fact]
    public void Loads_the_course_splits_from_the_shipped_idx_files()
    {
        using var m = Mnist.Load(Repo.Data);

        Assert.Equal([50000, 784], m.XTrain.shape);
        Assert.Equal([50000], m.YTrain.shape);
        Assert.Equal([10000, 784], m.XValid.shape);
        Assert.Equal([10000], m.YValid.shape);
        Assert.Equal([10000, 784], m.XTest.shape);
        Assert.Equal([10000], m.YTest.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, m.XTrain.dtype);
        Assert.Equal(TorchSharp.torch.ScalarType.Int64, m.YTrain.dtype);
        Assert.Equal([5L, 0, 4, 1, 9], m.YTrain[..5].data<long>().ToArray());
        Assert.Equal(0.99609375f, m.XTrain.max().item<float>());
        Assert.Equal(0f, m.XTrain.min().item<float>());
    }

    [Fact]
    public void Valid_is_the_last_ten_thousand_training_images()
    {
        using var m = Mnist.Load(Repo.Data);
        var labels = IdxReader.ReadLabels(Path.Combine(Repo.MnistIdx, "train-labels-idx1-ubyte.gz"));

        Assert.Equal(labels[50000..].Select(b => (long)b), m.YValid.data<long>().ToArray());
        // The course's y_valid starts 3, 8, 6 (lesson 03's printout).
        Assert.Equal([3L, 8, 6], m.YValid[..3].data<long>().ToArray());
    }

    [Fact]
    public void Missing_data_names_where_it_looked()
    {
        using var dir = new TempDir();

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(dir.Path));
        Assert.Contains("no MNIST data found", e.Message);
        Assert.Contains("mnist.pkl.gz", e.Message);
        Assert.Contains(Mnist.DataVariable, e.Message);
        Assert.DoesNotContain("--data", e.Message); // the library gives no command-line advice; the runner adds its own
        Assert.DoesNotContain("backprop data", e.Message);
    }

    [Fact]
    public void The_default_folder_is_the_variable_then_the_nearest_data_from_here_then_from_the_application()
    {
        using var elsewhere = new TempDir();

        Assert.Equal("/my/data", Mnist.DefaultDirectory("/my/data", Repo.Root, Repo.Root));
        Assert.Equal(Repo.Data, Mnist.DefaultDirectory(null, Path.Combine(Repo.Root, "src", "Backprop.Cli"), elsewhere.Path));
        Assert.Equal(Repo.Data, Mnist.DefaultDirectory(" ", elsewhere.Path, AppContext.BaseDirectory)); // a test's bin folder lies in the repository
        Assert.Equal("data", Mnist.DefaultDirectory(null, elsewhere.Path, elsewhere.Path));
    }

    [Fact]
    public void Image_and_label_counts_that_differ_are_refused()
    {
        using var dir = new TempDir();
        foreach (var f in Mnist.IdxFiles) File.Copy(Path.Combine(Repo.MnistIdx, f), dir.File(f));
        // Swap the test labels for the training labels: 60,000 labels for 10,000 images.
        File.Copy(Path.Combine(Repo.MnistIdx, "train-labels-idx1-ubyte.gz"), dir.File("t10k-labels-idx1-ubyte.gz"), overwrite: true);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(dir.Path));
        Assert.EndsWith("t10k-labels-idx1-ubyte.gz", e.File);
        Assert.Contains("60,000 labels for 10,000 images", e.Message);
    }
}
