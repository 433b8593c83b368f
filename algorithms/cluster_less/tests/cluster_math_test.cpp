// ClusterLESS's partitions, representatives and cluster scores against hand-computed cases, and
// FAISS's k-means on separated blobs.
#include <gtest/gtest.h>

#include <set>

#include "cluster_math.hpp"
#include "faiss_kmeans.hpp"

namespace cl = dataflex::cluster_less;

namespace {

// Two tight blobs: rows 0-2 near (0, 0), rows 3-5 near (10, 10).
const std::vector<float> kBlobs = {0, 0, 0.1f, 0, 0, 0.2f, 10, 10, 10.1f, 10, 10, 9.7f};

// Whether two partitions group the rows alike, whatever the cluster numbers.
bool same_grouping(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < a.size(); ++j)
      if ((a[i] == a[j]) != (b[i] == b[j])) return false;
  return true;
}

}  // namespace

TEST(ClusterMath, ClusterCountFollowsClusterSizeWithinOneAndThePool) {
  EXPECT_EQ(cl::cluster_count(2390, 64, 0), 38u);  // ceil(2390 / 64)
  EXPECT_EQ(cl::cluster_count(64, 64, 0), 1u);
  EXPECT_EQ(cl::cluster_count(10, 64, 0), 1u);
  EXPECT_EQ(cl::cluster_count(10, 64, 25), 10u);  // never more clusters than samples
  EXPECT_EQ(cl::cluster_count(10, 64, 3), 3u);
  EXPECT_THROW(cl::cluster_count(0, 64, 0), std::invalid_argument);
}

TEST(ClusterMath, EveryPartitionSeparatesTwoDistantBlobs) {
  const std::vector<int32_t> want = {0, 0, 0, 1, 1, 1};
  EXPECT_TRUE(same_grouping(cl::farthest_first(kBlobs, 6, 2, 2, 7), want));
  EXPECT_TRUE(same_grouping(cl::kmeans(kBlobs, 6, 2, 2, 10, 7, false), want));
  // The random partition ignores the rows: sizes 3 and 3, seeded.
  const auto r = cl::random_partition(6, 2, 5);
  EXPECT_EQ(std::count(r.begin(), r.end(), 0), 3);
  EXPECT_EQ(r, cl::random_partition(6, 2, 5));
  EXPECT_NE(r, cl::random_partition(6, 2, 6));
}

TEST(ClusterMath, LshGroupsRowsOfOneDirectionAndFoldsIntoK) {
  // Rows along two opposite directions: every hyperplane through the origin separates them.
  const std::vector<float> x = {1, 1, 2, 2, 0.5f, 0.5f, -1, -1, -3, -3};
  const auto c = cl::lsh(x, 5, 2, 2, 4, 11);
  EXPECT_TRUE(same_grouping(c, {0, 0, 0, 1, 1}));
  for (int32_t v : cl::lsh(x, 5, 2, 1, 8, 11)) EXPECT_EQ(v, 0);  // k = 1: one cluster
}

TEST(ClusterMath, NearestCenterRepresentativesAreThoseClosestToTheCentroid) {
  // One cluster on a line at 0, 1, 2, 10: centroid 3.25, distances 10.5625, 5.0625, 1.5625, 45.5625.
  const std::vector<float> x = {0, 1, 2, 10};
  const std::vector<int32_t> cluster = {0, 0, 0, 0};
  const auto d = cl::distance_to_centroid(x, 4, 1, cluster, 1);
  EXPECT_FLOAT_EQ(d[2], 1.5625f);
  EXPECT_FLOAT_EQ(d[3], 45.5625f);
  EXPECT_EQ(cl::representatives(cluster, 1, 2, d, 0), (std::vector<size_t>{2, 1}));
  // At random: distinct members, at most per_cluster of each cluster, every non-empty cluster.
  const auto r = cl::representatives({0, 1, 0, 1, 0, 2}, 4, 2, {}, 3);
  ASSERT_EQ(r.size(), 5u);  // 2 of cluster 0, 2 of cluster 1, 1 of cluster 2, none of empty cluster 3
  EXPECT_EQ(std::set<size_t>(r.begin(), r.end()).size(), 5u);
  EXPECT_EQ(r[4], 5u);
}

TEST(ClusterMath, AClustersFeatureIsTheUnitMeanOfItsRepresentatives) {
  // Cluster 0: (1, 0) and (0, 1) -> mean (0.5, 0.5) -> (0.7071, 0.7071); cluster 1: (0, -1); cluster 2 none.
  const auto f = cl::cluster_features({1, 0, 0, 1, 0, -1}, 2, {0, 0, 1}, 3);
  EXPECT_NEAR(f[0], std::sqrt(0.5), 1e-6);
  EXPECT_NEAR(f[1], std::sqrt(0.5), 1e-6);
  EXPECT_FLOAT_EQ(f[3], -1.0f);
  EXPECT_EQ(f[4], 0.0f);
  EXPECT_EQ(f[5], 0.0f);
}
