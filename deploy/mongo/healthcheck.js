// Healthcheck of the MongoDB container, and the replica set's automatic initialisation.
//
//   mongosh --quiet --norc /opt/mpp/mongo/healthcheck.js
//
// Transactions and change streams need a replica set, so mongod runs with --replSet.
// The first run initiates the single-member set (RS_NAME, member RS_HOST, the name the
// services reach it by); every run then passes only when this member is the writable
// primary. With access control (docker-compose.secure.yml) it authenticates as the root
// user the image created from MONGO_INITDB_ROOT_USERNAME / _PASSWORD.
const replicaSet = process.env.RS_NAME || 'rs0';
const member = process.env.RS_HOST || 'mongo:27017';
const rootUser = process.env.MONGO_INITDB_ROOT_USERNAME;

if (rootUser) {
  db.getSiblingDB('admin').auth(rootUser, process.env.MONGO_INITDB_ROOT_PASSWORD);
}
try {
  rs.status();
} catch (error) {
  if (error.codeName !== 'NotYetInitialized' && !/no replset config/i.test(String(error))) {
    throw error;
  }
  rs.initiate({ _id: replicaSet, members: [{ _id: 0, host: member }] });
}
if (!db.hello().isWritablePrimary) {
  quit(1);
}
