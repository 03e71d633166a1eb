using System.IO.Compression;
using Backprop.Data;
using TorchSharp;

namespace Backprop.Tests.Data;

[Collection(MnistGroup.Name)]
public sealed class MnistPickleTests(MnistFixture data)
{
    private static string Small => Repo.Fixture("mnist-small.pkl.gz");

    /// <summary>The fixture's pickle, inflated.</summary>
    internal static byte[] SmallPickle()
    {
        using var gz = new GZipStream(File.OpenRead(Small), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    [Fact]
    public void Reads_the_fixture_into_the_same_numbers_as_the_idx_files()
    {
        // The fixture holds train images 0-4, valid = training images 50,000-50,002 and test images 0-1, pickled by numpy.
        using var p = MnistPickle.Load(Small);
        var idx = data.Mnist;

        Assert.Equal([5, 784], p.XTrain.shape);
        Assert.Equal([5], p.YTrain.shape);
        Assert.Equal([3, 784], p.XValid.shape);
        Assert.Equal([3], p.YValid.shape);
        Assert.Equal([2, 784], p.XTest.shape);
        Assert.Equal([2], p.YTest.shape);
        Assert.Equal(torch.ScalarType.Float32, p.XTrain.dtype);
        Assert.Equal(torch.ScalarType.Int64, p.YTrain.dtype);
        Assert.Equal([5L, 0, 4, 1, 9], p.YTrain.data<long>().ToArray());
        Assert.Equal([3L, 8, 6], p.YValid.data<long>().ToArray());
        Assert.True(p.XTrain.Equals(idx.XTrain[..5]));
        Assert.True(p.XValid.Equals(idx.XValid[..3]));
        Assert.True(p.XTest.Equals(idx.XTest[..2]));
        Assert.True(p.YTest.Equals(idx.YTest[..2]));
        Assert.Equal(Small, p.Source);
    }

    [CoursePickleFact]
    public void The_course_pickle_holds_exactly_the_idx_data_divided_by_256()
    {
        using var p = MnistPickle.Load(CoursePickleFactAttribute.Path);
        using var idx = Mnist.FromIdx(Repo.MnistIdx);

        foreach (var (a, b) in p.All.Zip(idx.All))
        {
            Assert.Equal(b.shape, a.shape);
            Assert.Equal(b.dtype, a.dtype);
            Assert.True(a.Equals(b));
        }
    }

    [Fact]
    public void Reads_a_raw_pickle_like_the_gzipped_one()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("mnist.pkl"), SmallPickle());

        using var raw = MnistPickle.Load(dir.File("mnist.pkl"));
        using var gz = MnistPickle.Load(Small);

        foreach (var (a, b) in raw.All.Zip(gz.All)) Assert.True(a.Equals(b));
    }

    [Fact]
    public void Mnist_load_falls_back_to_the_pickle_in_a_folder_without_idx_files()
    {
        using var dir = new TempDir();
        File.Copy(Small, dir.File(MnistPickle.FileName));

        using var m = Mnist.Load(dir.Path);

        Assert.Equal(dir.File(MnistPickle.FileName), m.Source);
        Assert.Equal([5, 784], m.XTrain.shape);
    }

    [Theory]
    [InlineData("mnist-wrong-shape.pkl.gz", "x_valid has shape (3, 28, 28); expected (N, 784)")]
    [InlineData("mnist-big-endian.pkl.gz", "y_test is stored big-endian (>i8)")]
    [InlineData("mnist-fortran.pkl.gz", "x_train is stored in Fortran (column-major) order")]
    [InlineData("mnist-short-payload.pkl.gz", "y_train has 32 bytes of data but its shape (5,) of <i8 needs 40")]
    // The generator printed where it wrote the BINUNICODE that Python 3 would write for the dtype's 'f4'.
    [InlineData("mnist-unexpected-opcode.pkl.gz", "at 0x58 'X' (BINUNICODE), offset 25,496 of the pickle")]
    public void A_bad_fixture_is_refused_with_the_array_and_the_problem(string fixture, string expected)
    {
        var e = Assert.Throws<DataFileException>(() => MnistPickle.Load(Repo.Fixture(fixture)));

        Assert.Equal(Repo.Fixture(fixture), e.File);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_label_outside_0_to_9_is_refused()
    {
        using var dir = new TempDir();
        var pickle = SmallPickle();
        // y_train's payload: 5, 0, 4, 1, 9 as little-endian int64.
        byte[] labels = [5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9];
        var at = pickle.AsSpan().IndexOf(labels);
        Assert.True(at > 0);
        pickle[at + 16] = 200;
        File.WriteAllBytes(dir.File("mnist.pkl"), pickle);

        var e = Assert.Throws<DataFileException>(() => MnistPickle.Load(dir.File("mnist.pkl")));
        Assert.Contains("y_train holds the label 200", e.Message);
    }

    [Fact]
    public void A_truncated_pickle_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("mnist.pkl"), SmallPickle()[..20000]);

        var e = Assert.Throws<DataFileException>(() => MnistPickle.Load(dir.File("mnist.pkl")));
        Assert.Contains("the file is truncated", e.Message);
    }

    [Fact]
    public void A_call_to_anything_but_numpy_is_refused()
    {
        using var dir = new TempDir();
        // PROTO 2; GLOBAL os system; SHORT_BINSTRING 'ls'; TUPLE1; REDUCE; STOP: what a malicious pickle does.
        File.WriteAllBytes(dir.File("evil.pkl"), [0x80, 2, .. "cos\nsystem\nU\u0002ls"u8, 0x85, (byte)'R', (byte)'.']);

        var e = Assert.Throws<DataFileException>(() => MnistPickle.Load(dir.File("evil.pkl")));
        Assert.Contains("REDUCE calls os.system", e.Message);
        Assert.Contains("at 0x52 'R' (REDUCE), offset 18", e.Message);
    }

    [Fact]
    public void Something_else_than_three_pairs_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("int.pkl"), [0x80, 2, (byte)'K', 7, (byte)'.']);

        var e = Assert.Throws<DataFileException>(() => MnistPickle.Load(dir.File("int.pkl")));
        Assert.Contains("does not hold a 3-tuple", e.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<DataFileException>(() => MnistPickle.Load("/no/such/mnist.pkl.gz"));
        Assert.Equal("/no/such/mnist.pkl.gz", e.File);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Arrays_that_never_get_their_BUILD_are_refused_by_name()
    {
        using var dir = new TempDir();
        // _reconstruct(ndarray, (0,), 'b') with no BUILD, memoised and used for all six arrays.
        byte[] pickle = [0x80, 2, .. "cnumpy.core.multiarray\n_reconstruct\n"u8, .. "cnumpy\nndarray\n"u8, (byte)'K', 0, 0x85, (byte)'U', 1, (byte)'b', 0x87,
            (byte)'R', (byte)'q', 0, (byte)'h', 0, 0x86, (byte)'q', 1, (byte)'h', 1, (byte)'h', 1, 0x87, (byte)'.'];
        File.WriteAllBytes(dir.File("nobuild.pkl"), pickle);

        var e = Assert.Throws<DataFileException>(() => MnistPickle.Load(dir.File("nobuild.pkl")));

        Assert.Contains("x_train is a numpy array whose dtype and data never arrive (no BUILD opcode)", e.Message);
    }
}
